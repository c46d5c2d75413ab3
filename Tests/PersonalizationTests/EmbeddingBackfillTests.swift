import Embedding
import Foundation
import Personalization
import ProfileStore
import SampleData
import Testing
import _TestSupport

@Suite("Embedding backfill, against the database")
struct EmbeddingBackfillTests {
    /// Runs `body` with a store in a schema of its own holding `count` generated creators
    /// with their posts; the schema is dropped afterwards.
    static func withStore(creators count: Int, _ body: (ProfileStore, [CreatorGenerator.Creator]) async throws -> Void) async throws {
        try await TestDatabase.withStore(dimensions: 64) { store in
            let creators = CreatorGenerator(configuration: .init(creators: count)).generate()
            _ = try await store.importUsers(creators.map { Numbered(line: Int($0.user.id), record: $0.user) })
            _ = try await store.importPosts(creators.flatMap(\.posts).map { Numbered(line: 1, record: $0) })
            try await body(store, creators)
        }
    }

    @Test("embeds every profile once; a rerun embeds nothing; a changed profile is embedded again")
    func resumableAndIdempotent() async throws {
        try await Self.withStore(creators: 120) { store, creators in
            let embedder = try HashingEmbedder(configuration: .init(dimensions: 64))
            let backfill = EmbeddingBackfill(store: store, embedder: embedder, configuration: .init(pageSize: 50))
            let first = try await backfill.run()
            #expect(first.profiles == 120 && first.embedded == 120)

            let second = try await backfill.run()
            #expect(second.embedded == 0 && second.current == 120)

            var edited = creators[7].user
            edited.bio = "Now writing about sourdough and nothing else"
            _ = try await store.importUsers([Numbered(line: 1, record: edited)])
            let third = try await backfill.run()
            #expect(third.embedded == 1 && third.current == 119)

            // The stored vector is the embedder's for the stored profile.
            let stored = try await store.embeddings()
            let row = try #require(stored.userIDs.firstIndex(of: edited.id))
            let page = try await store.profiles(afterUserID: edited.id - 1, limit: 1, postLimit: ProfileDocument.defaultPostLimit)
            let expected = try await embedder.embed([EmbeddingBackfill.document(page[0], postLimit: ProfileDocument.defaultPostLimit)])
            #expect(stored.vectors.row(row) == expected)
        }
    }

    @Test("an interrupted backfill resumes where it stopped")
    func resumes() async throws {
        try await Self.withStore(creators: 90) { store, _ in
            let embedder = try HashingEmbedder(configuration: .init(dimensions: 64))
            let backfill = EmbeddingBackfill(store: store, embedder: embedder, configuration: .init(pageSize: 30))
            let task = Task {
                try await backfill.run { progress in
                    if progress.profiles >= 30 { withUnsafeCurrentTask { $0?.cancel() } }
                }
            }
            _ = await task.result
            let partial = try await store.embeddings().userIDs.count
            #expect(partial >= 30 && partial < 90)
            let rest = try await backfill.run()
            #expect(rest.embedded == 90 - partial && rest.current == partial)
        }
    }

    @Test("an embedder of another dimension than the store's is refused")
    func wrongDimension() async throws {
        try await Self.withStore(creators: 1) { store, _ in
            let backfill = EmbeddingBackfill(store: store, embedder: try HashingEmbedder(configuration: .init(dimensions: 32)))
            await #expect(throws: EmbeddingBackfill.Failure.self) { try await backfill.run() }
        }
    }
}

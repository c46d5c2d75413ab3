import Embedding
import Foundation
import Logging
import ProfileStore
import SampleData
import Testing
import VectorMath
import _TestSupport

@testable import Personalization

/// The engine at the size it serves: 1536 dimensions and 10,000 creators with their posts,
/// where the small fixtures could not show a watermark that never moves, a run switch that
/// loses a write, or a context whose cost grows with its inputs.
@Suite("The engine at a realistic size (1536 dimensions, 10,000 creators)")
struct RealisticSizeTests {
    static let dimensions = 1536
    static let creators = 10_000

    /// A store of `creators` generated creators with their posts and clustered synthetic embeddings.
    static func withStore(_ body: (ProfileStore, PersonalizationEngine) async throws -> Void) async throws {
        let store = try await TestDatabase.store(dimensions: dimensions)
        try await TestDatabase.dropping(store) {
            let generated = CreatorGenerator(configuration: .init(creators: creators, postsPerCreator: 4...6)).generate()
            _ = try await store.importUsers(generated.map { Numbered(line: Int($0.user.id), record: $0.user) })
            _ = try await store.importPosts(generated.flatMap(\.posts).map { Numbered(line: 1, record: $0) })
            let vectors = SyntheticVectors(dims: dimensions, clusters: 40, seed: 7).generate(count: creators)
            for start in stride(from: 0, to: creators, by: 2_500) {
                let end = min(start + 2_500, creators)
                let slice = Matrix(columns: dimensions, values: Array(vectors.withUnsafeBufferPointer { $0[start * dimensions..<end * dimensions] }))
                try await store.writeEmbeddings(
                    EmbeddingRows(
                        userIDs: (start..<end).map { Int64($0 + 1) }, vectors: slice, model: "synthetic",
                        contentHashes: Array(repeating: [0], count: end - start)))
            }
            let engine = try await PersonalizationEngine.start(
                store: store, embedder: try HashingEmbedder(configuration: .init(dimensions: dimensions)),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            try await body(store, engine)
        }
    }

    @Test(
        "after every embedding is rewritten, one sync applies them all and the next applies nothing; a run switch loses no write made during it; a context at the caps is whole"
    )
    func atSize() async throws {
        try await Self.withStore { store, engine in
            #expect(engine.status.creators == Self.creators)

            // Item: the watermark advances. Another process rewrites every embedding.
            let stored = try await store.embeddings()
            for start in stride(from: 0, to: stored.userIDs.count, by: 2_500) {
                let end = min(start + 2_500, stored.userIDs.count)
                let slice = Matrix(
                    columns: Self.dimensions, values: Array(stored.vectors.withUnsafeBufferPointer { $0[start * Self.dimensions..<end * Self.dimensions] }))
                try await store.writeEmbeddings(
                    EmbeddingRows(
                        userIDs: Array(stored.userIDs[start..<end]), vectors: slice, model: "synthetic",
                        contentHashes: Array(repeating: [1], count: end - start)))
            }
            let catchUp = try await engine.synchronize()
            #expect(catchUp.upserted >= Self.creators && catchUp.rejected == 0)
            let idle = try await engine.synchronize()
            #expect(idle.upserted == 0 && idle.deleted == 0, "an idle sync re-applied \(idle.upserted) rows")

            // Item: a run switch builds its partition outside the lock; writes made meanwhile are not lost.
            _ = try await CohortRebuild(store: store, parameters: .init(k: .fixed(8), warmStart: false)).run()
            let run = try #require(try await PersonalizationEngine.loadRun(from: store))
            var system = SystemRandomNumberGenerator()
            let moved = (0..<200).map { _ in Int64.random(in: 1...Int64(Self.creators), using: &system) }
            let unique = Array(Set(moved))
            let fresh = unique.map { _ in (0..<Self.dimensions).map { _ in Float.random(in: -1...1, using: &system) } }
            let switching = Task.detached { engine.switchRun(to: run) }
            for (userID, vector) in zip(unique, fresh) {
                engine.apply(
                    EmbeddingChanges(userIDs: [userID], vectors: Matrix(columns: Self.dimensions, values: vector), deletedUserIDs: [], watermark: .beginning))
            }
            await switching.value
            #expect(engine.status.cohortRunID == run.record.id)
            // Scanning every cohort is exact: each moved creator is found where its new vector puts it.
            for (userID, vector) in zip(unique.prefix(50), fresh) {
                let everywhere = try engine.similarCreators(to: vector, k: 1, mode: .partitioned(nprobe: 8))
                #expect(everywhere.first?.id == userID, "creator \(userID) lost its write during the switch")
            }

            // Item: a context at every cap is answered whole, within its budget.
            let context = try await engine.context(
                for: 17,
                options: .init(
                    similarCreators: PersonalizationEngine.ContextOptions.maximumSimilarCreators,
                    exemplars: PersonalizationEngine.ContextOptions.maximumExemplars,
                    tokenBudget: PersonalizationEngine.ContextOptions.maximumTokenBudget))
            #expect(context.similarCreators.count + (context.budget.dropped["similarCreators"] ?? 0) == 100)
            #expect(context.exemplars.count == PersonalizationEngine.ContextOptions.maximumExemplars)
            #expect(context.budget.estimatedTokens <= PersonalizationEngine.ContextOptions.maximumTokenBudget)
            let small = try await engine.context(for: 17, options: .init(similarCreators: 100, exemplars: 20, tokenBudget: 400))
            #expect(small.budget.estimatedTokens <= 400 || small.budget.exceeded)
            #expect(small.exemplars.count >= 1)
        }
    }
}

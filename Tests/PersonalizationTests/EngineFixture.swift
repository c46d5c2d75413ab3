import Embedding
import Logging
import Personalization
import ProfileStore
import SampleData
import _TestSupport

/// A store in a schema of its own with generated creators, their posts and their embeddings.
struct EngineFixture {
    static let dimensions = 128

    let store: ProfileStore
    let creators: [CreatorGenerator.Creator]
    let embedder: HashingEmbedder

    static func make(creators count: Int, embed: Bool = true) async throws -> EngineFixture {
        let store = try await TestDatabase.store(dimensions: dimensions)
        let creators = CreatorGenerator(configuration: .init(creators: count)).generate()
        _ = try await store.importUsers(creators.map { Numbered(line: Int($0.user.id), record: $0.user) })
        _ = try await store.importPosts(creators.flatMap(\.posts).map { Numbered(line: 1, record: $0) })
        let embedder = try HashingEmbedder(configuration: .init(dimensions: dimensions))
        if embed { try await EmbeddingBackfill(store: store, embedder: embedder).run() }
        return EngineFixture(store: store, creators: creators, embedder: embedder)
    }

    func engine() async throws -> PersonalizationEngine {
        try await PersonalizationEngine.start(store: store, embedder: embedder, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Runs `body` with a fixture and drops its schema afterwards, whether `body` threw or not.
    static func with(creators count: Int, embed: Bool = true, _ body: (EngineFixture) async throws -> Void) async throws {
        let fixture = try await make(creators: count, embed: embed)
        try await TestDatabase.dropping(fixture.store) { try await body(fixture) }
    }
}

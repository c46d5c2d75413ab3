import ArgumentParser
import ProfileStore

/// `onering db index`: build pgvector's HNSW index for approximate queries in SQL.
struct DatabaseIndex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Create the HNSW index (cosine) on the embeddings, for pgvector queries."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "HNSW graph degree.")
    var m: Int = 16

    @Option(help: "HNSW candidate list size while building.")
    var efConstruction: Int = 64

    func run() async throws {
        let profileStore = try await store.openStore()
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            try await profileStore.createVectorIndex(m: m, efConstruction: efConstruction)
        }
        print("profile_embeddings_hnsw ready (m \(m), ef_construction \(efConstruction)) in \(elapsed)")
    }
}

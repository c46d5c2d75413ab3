import ArgumentParser
import Personalization
import ProfileStore

/// What the engine commands share: the store, the embedder, and starting the engine.
struct EngineOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var embedding: EmbedderOptions

    /// Opens (and migrates) the store and starts the engine on it.
    func startEngine() async throws -> PersonalizationEngine {
        let profileStore = try await store.openStore()
        return try await PersonalizationEngine.start(
            store: profileStore, embedder: try embedding.embedder(dimensions: store.dimensions), logger: commandLogger("onering.engine")
        )
    }
}

/// `--nprobe N` as a search mode: partitioned over N cohorts, exact without it.
func searchMode(nprobe: Int?) -> PersonalizationEngine.SearchMode {
    nprobe.map { .partitioned(nprobe: $0) } ?? .exact
}

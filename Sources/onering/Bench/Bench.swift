import ArgumentParser

/// `onering bench …`: benchmarks that print their figures next to the machine's limits.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the engine against the limits measured on this machine.",
        subcommands: [
            SimilarityBench.self, PartitionedBench.self, KMeansBench.self, StoreBench.self, EmbedBench.self, EngineBench.self, StrategyBench.self,
            BriefBench.self, PostCodeBench.self,
        ]
    )
}

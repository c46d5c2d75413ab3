import ArgumentParser

/// The `onering` command line: thin wrappers that parse, configure and call the modules.
@main
struct OneRing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onering",
        abstract: "OneRing personalization engine: creator embeddings, similarity search, cohorts.",
        subcommands: [
            Doctor.self, Database.self, DataCommand.self, Import.self, Embed.self, Search.self, Cohorts.self, ContextCommand.self,
            Jobs.self, Bench.self,
        ]
    )
}

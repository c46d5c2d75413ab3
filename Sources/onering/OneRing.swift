import ArgumentParser

/// The `onering` command line: thin wrappers that parse, configure and call the modules.
@main
struct OneRing: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onering",
        abstract: "OneRing personalization engine: creator embeddings, similarity search, cohorts.",
        subcommands: [Doctor.self, Bench.self]
    )
}

import ArgumentParser
import Foundation
import SampleData

/// `onering data generate`: write generated creators as JSON Lines.
struct DataGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate sample creators (users.jsonl with niche labels, posts.jsonl), deterministic per seed."
    )

    @Option(help: "Creators to generate.") var creators: Int = 5_000
    @Option(help: "Seed (the committed data set uses 42).") var seed: UInt64 = 42
    @Option(help: "Directory for users.jsonl and posts.jsonl.") var out: String = "data"
    @Option(help: "Also write the planted effects (ground truth) to this JSON file.") var truth: String?

    func validate() throws {
        guard creators > 0 else { throw ValidationError("--creators must be positive") }
    }

    func run() throws {
        let started = now()
        let generator = CreatorGenerator(configuration: .init(creators: creators, seed: seed))
        let generated = generator.generate()
        let directory = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SampleDataWriter.write(
            generated, users: directory.appendingPathComponent("users.jsonl"), posts: directory.appendingPathComponent("posts.jsonl")
        )
        let posts = generated.reduce(0) { $0 + $1.posts.count }
        if let truth {
            try GroundTruth(generator: generator).jsonData().write(to: URL(fileURLWithPath: truth), options: .atomic)
            print("wrote the planted effects to \(truth)")
        }
        print("wrote \(creators) creators and \(posts) posts to \(out)/users.jsonl and \(out)/posts.jsonl in \((now() - started).fixed(1)) s")
    }
}

/// `onering data …`: the sample data.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Sample data: realistic generated creators across twenty niches.",
        subcommands: [DataGenerate.self]
    )
}

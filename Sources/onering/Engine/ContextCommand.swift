import ArgumentParser
import Foundation
import Personalization

/// `onering context USER`: the personalization context the writer agent gets, as JSON.
struct ContextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context",
        abstract: "Print a creator's personalization context (JSON, schema in docs/CONTEXT.md).",
        discussion: "Embeds the creator first when their embedding is missing or stale."
    )

    @OptionGroup var engine: EngineOptions
    @Argument(help: "The creator's id.") var user: Int64
    @Option(name: .short, help: "Similar creators (1…1000).") var k: Int = 10
    @Option(help: "Exemplar posts (0…50).") var exemplars: Int = 5
    @Option(help: "Token budget (≥ 100; estimate: UTF-8 bytes of the JSON / 4).") var budget: Int = 1_500
    @Option(help: "Find similar creators in the N nearest cohorts only.") var nprobe: Int?
    @Option(help: "Half-life of recency, in days.") var halfLife: Double = 14
    @Option(help: "What the creator is about to write: exemplars answer it (default: the cohort's top trending topic).") var brief: String?
    @Flag(help: "One line of JSON instead of indented.") var compact = false

    func validate() throws {
        guard user > 0 else { throw ValidationError("the creator id must be positive") }
        guard (1...1_000).contains(k) else { throw ValidationError("-k must be in 1...1000") }
        guard (0...50).contains(exemplars) else { throw ValidationError("--exemplars must be in 0...50") }
        guard budget >= 100 else { throw ValidationError("--budget must be at least 100 tokens") }
        guard halfLife > 0 else { throw ValidationError("--half-life must be positive") }
        if let brief, brief.count > PersonalizationEngine.maximumBriefLength {
            throw ValidationError("--brief holds at most \(PersonalizationEngine.maximumBriefLength) characters, got \(brief.count)")
        }
        if let nprobe, nprobe <= 0 { throw ValidationError("--nprobe must be positive") }
    }

    func run() async throws {
        let engine = try await engine.startEngine()
        var options = PersonalizationEngine.ContextOptions(
            similarCreators: k, exemplars: exemplars, tokenBudget: budget, mode: searchMode(nprobe: nprobe), halfLifeDays: halfLife)
        options.brief = brief
        let context = try await engine.context(for: user, options: options)
        print(String(decoding: context.jsonData(pretty: !compact), as: UTF8.self))
    }
}

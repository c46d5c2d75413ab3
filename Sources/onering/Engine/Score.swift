import ArgumentParser
import Foundation
import Personalization

/// `onering score USER --text "…"`: a draft's predicted engagement against the creator's typical post.
struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict a draft's engagement against the creator's typical post (the cohort's strategy model, docs/STRATEGY.md).",
        discussion: "Needs a cohort run: the model is fitted at each rebuild."
    )

    @OptionGroup var engine: EngineOptions
    @Argument(help: "The creator's id.") var user: Int64
    @Option(help: "The draft's text.") var text: String
    @Option(help: "The platform: x, linkedin, threads, instagram, tiktok, … (default: the creator's most used one).") var platform: String?
    @Option(help: "When it would go out, ISO 8601 (e.g. 2026-12-01T17:00:00Z); default now.") var at: String?
    @Flag(help: "Print the score as JSON.") var json = false

    func validate() throws {
        guard user > 0 else { throw ValidationError("the creator id must be positive") }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--text is empty") }
        if let at, (try? Date(at, strategy: .iso8601)) == nil {
            throw ValidationError("--at must be an ISO 8601 time such as 2026-12-01T17:00:00Z, got \"\(at)\"")
        }
    }

    func run() async throws {
        let engine = try await engine.startEngine()
        let date = try at.map { try Date($0, strategy: .iso8601) }
        let score = try await engine.score(userID: user, draft: .init(text: text, platform: platform, at: date))
        if json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(score), as: UTF8.self))
            return
        }
        let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        print(
            "creator \(score.userID) on \(score.platform), \(weekdays[score.weekday]) \(score.hour):00 UTC: "
                + "\(score.relativeToBaseline.fixed(2))× their typical post (95 % interval \(score.low.fixed(2))–\(score.high.fixed(2)))")
        print(
            "expected engagement rate \((100 * score.expectedEngagementRate).fixed(2)) % against their median \((100 * score.baselineEngagementRate).fixed(2)) %; "
                + "one post scatters ×/÷ \(score.singlePostSpread.fixed(2)) around it")
        print(
            "features: \(score.features.isEmpty ? "none" : score.features.joined(separator: ", "))" + (score.topic.map { "; topic: \($0)" } ?? "")
                + (score.trending ? " (trending)" : ""))
        print("parts: " + score.parts.map { "\($0.factor) \($0.uplift.fixed(2))×" }.joined(separator: ", "))
        for note in score.notes { print("note: \(note)") }
    }
}

import Foundation
import Testing
import Writer

@testable import Generation

@Suite("The review step's checks and the strategy step's clock")
struct ReviewChecksTests {
    @Test("one sentence forty times is degenerate; a varied post is not, even with a repeated phrase")
    func repetition() {
        let looping = RepetitionCheck.measure(String(repeating: "Recovery weeks are the secret to faster marathons. ", count: 40))
        #expect(looping.isDegenerate)
        #expect(looping.problem?.contains("40 times") == true, "\(looping.problem ?? "")")
        let varied = RepetitionCheck.measure(
            "Recovery weeks are not lazy weeks. I cut my mileage by a third and keep one short tempo. "
                + "Sleep goes up, soreness goes down, and the next block starts fresh. What does your recovery week look like?")
        #expect(!varied.isDegenerate)
        let words = (0..<60).map { "word\($0 % 5)" }.joined(separator: " ")
        #expect(RepetitionCheck.measure(words).isDegenerate, "a loop of five words without sentence ends")
    }

    @Test("a run of eight shared words is found with its length; seven are not a run")
    func sharedRuns() {
        let source = SharedRuns("Quick tip for strength training: start with recovery, then worry about marathon training.")
        let copied = SharedRuns.words("My quick tip for strength training: start with recovery, then sleep.")
        #expect(source.longestRun(in: copied) == 9)
        let seven = SharedRuns.words("quick tip for strength training start with something else entirely")
        #expect(source.longestRun(in: seven) == 0)
        // The plan's hashtags are every variant's: they are no shared words.
        let tagged = SharedRuns("What would you add? #fitness #gym #running #strengthtraining #workout")
        #expect(tagged.longestRun(in: SharedRuns.words("Which one would you add? #fitness #gym #running #strengthtraining #workout")) == 0)
    }

    @Test("the next slot is the first one at or after the moment, a week ahead at most")
    func nextSlot() throws {
        let formatter = ISO8601DateFormatter()
        let wednesday = try #require(formatter.date(from: "2026-12-02T10:30:00Z"))
        #expect(formatter.string(from: StrategyStep.next(weekday: 2, hour: 18, after: wednesday)) == "2026-12-02T18:00:00Z")
        #expect(formatter.string(from: StrategyStep.next(weekday: 2, hour: 9, after: wednesday)) == "2026-12-09T09:00:00Z")
        #expect(formatter.string(from: StrategyStep.next(weekday: 0, hour: 0, after: wednesday)) == "2026-12-07T00:00:00Z")
        let exactly = try #require(formatter.date(from: "2026-12-07T00:00:00Z"))
        #expect(StrategyStep.next(weekday: 0, hour: 0, after: exactly) == exactly)
    }

    @Test("platform rules: a long X post becomes a numbered thread within 280; a YouTube post needs a title")
    func rules() {
        let plan = ContentPlan(
            platform: .x, format: .singlePost, topic: "t", targetLength: 200, hashtags: [], plannedAt: Date(), slot: nil, timeZone: nil, hints: [],
            angles: [])
        let long = PlatformFormatter.format(String(repeating: "Tempo runs build patience and speed at once. ", count: 12), for: .x)
        let (notes, violations) = ReviewStep.checkRules(long, plan: plan)
        #expect(violations.isEmpty)
        #expect(notes.first?.hasPrefix("a thread of \(long.parts.count) numbered posts") == true && long.parts.count > 1)
        var video = plan
        video.platform = .youtube
        var untitled = PlatformFormatter.format("A video about tempo runs. Here is the plan.", for: .youtube)
        #expect(ReviewStep.checkRules(untitled, plan: video).violations.isEmpty)
        untitled.title = ""
        #expect(ReviewStep.checkRules(untitled, plan: video).violations == ["no title"])
    }
}

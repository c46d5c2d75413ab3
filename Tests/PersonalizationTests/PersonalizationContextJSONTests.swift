import Foundation
import Testing

@testable import Personalization

@Suite("The context's JSON, written directly")
struct PersonalizationContextJSONTests {
    /// Text that needs every kind of escape, and some that must pass as it is.
    static let awkward = "a \"quoted\" back\\slash / path\nnew\tline\r\u{8}\u{c}\u{1}\u{1f}\u{7f} é 😀 \u{2028}"

    /// A context with every field set, optionals too, and values that are hard to print.
    static func everyField() -> PersonalizationContext {
        let breakdown = PersonalizationContext.ScoreBreakdown(
            semantic: 0.1 + 0.2, engagement: 1, recency: 1e-7, diversity: -0.0, brief: 0.5, lexical: 1.2345678901234567e+17)
        let exemplar = PersonalizationContext.Exemplar(
            postID: 9_007_199_254_740_993, authorID: -3, authorHandle: awkward, platform: "x",
            publishedAt: Date(timeIntervalSince1970: 1_709_164_799.999), text: awkward, hashtags: ["#a", awkward], topics: [],
            score: 3.0e-300, relevance: 100, breakdown: breakdown, own: true)
        return PersonalizationContext(
            version: PersonalizationContext.schemaVersion, generatedAt: Date(timeIntervalSince1970: -1.5),
            asOf: Date(timeIntervalSince1970: 951_782_400.25),
            creator: .init(id: 4, handle: "@runner", name: awkward, bio: ""),
            brief: .init(text: awkward, source: "request"),
            cohort: .init(runID: 7, id: 0, label: "trail running", terms: ["trail", awkward], similarity: 0.875, size: 1_000_000),
            similarCreators: [.init(id: 1, handle: "a", score: 0.99), .init(id: 2, handle: "", score: 1e16)],
            exemplars: [exemplar, exemplar],
            postingTimes: [
                .init(weekday: 1, hour: 23, medianEngagementRate: 0.0123, posts: 5, uplift: 1.5, low: 1.1, high: 2, evidence: 0.95),
                .init(weekday: 7, hour: 0, medianEngagementRate: 0, posts: 0, uplift: nil, low: nil, high: nil, evidence: nil),
            ],
            trendingTopics: [.init(topic: awkward, recentPosts: 3, baselinePosts: 40, lift: 2.25, score: 1e-5)],
            strategy: .init(whatPerforms: [
                .init(factor: "topic", topic: "marathon", platform: "instagram", uplift: 1.4, low: 1.1, high: 1.8, effect: 0.33, standardError: 0.1, posts: 80),
                .init(factor: "thread", topic: nil, platform: nil, uplift: 1.2, low: 1.01, high: 1.4, effect: 0.18, standardError: 0.09, posts: 12),
            ]),
            style: .init(
                posts: 50, medianLength: 140, hashtagsPerPost: 1.5, emojiShare: 0.25, threadShare: 0, topHashtags: ["#run"], platforms: ["x", "linkedin"]),
            search: .init(mode: "partitioned", nprobe: 3, k: 10),
            embedding: .init(model: "hashing-v2", refreshed: false),
            budget: .init(tokens: 1_500, estimatedTokens: 1_234, dropped: ["similarCreators": 3, "exemplars": 1, "postingTimes": 2], exceeded: true))
    }

    @Test("the bytes are JSONEncoder's, for every field, escape, number and date")
    func sameBytesAsJSONEncoder() throws {
        var context = Self.everyField()
        #expect(context.jsonData() == (try PersonalizationContext.encoder().encode(context)))
        // Without the optional parts, and with empty lists.
        context.brief = nil
        context.cohort = nil
        context.exemplars[0].breakdown.brief = nil
        context.exemplars[0].breakdown.lexical = nil
        context.search.nprobe = nil
        context.strategy.whatPerforms = []
        context.similarCreators = []
        context.budget.dropped = [:]
        #expect(context.jsonData() == (try PersonalizationContext.encoder().encode(context)))
        // It decodes back to the same JSON (the dates to whole seconds, as they were written).
        #expect(try PersonalizationContext.decode(context.jsonData()).jsonData() == context.jsonData())
    }

    @Test("dates: the proleptic Gregorian calendar, leap days and the seconds rounded down")
    func dates() throws {
        let encoder = PersonalizationContext.encoder()
        // 1900 (not a leap year), 2000 and 2024 (leap years), the epoch's edges and the far future.
        let days: [Int64] = [-25_567, -1, 0, 59, 10_956, 11_016, 11_017, 19_782, 19_783, 47_482, 2_932_896]
        for day in days {
            for second in [0, 0.999, 86_399.5] {
                let date = Date(timeIntervalSince1970: Double(day) * 86_400 + second)
                var json = JSONBytes()
                json.date(date)
                let expected = try encoder.encode([date]).dropFirst().dropLast()
                #expect(json.bytes == Array(expected), "day \(day) + \(second) s")
            }
        }
    }
}

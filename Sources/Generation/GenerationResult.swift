public import Foundation
public import Personalization
public import Writer

/// A finished generation: every variant, reviewed and ranked, the plan and the schedule. The
/// top-level post fields are the best variant's, as a single generation reports them.
public struct GenerationResult: Codable, Sendable, Equatable {
    /// One variant in the ranking.
    public struct Variant: Codable, Sendable, Equatable {
        /// 1 is the best.
        public var rank: Int
        /// Which draft (counted from 1, in the order they were written).
        public var variant: Int
        public var angle: Angle
        public var verdict: Review.Verdict
        /// Predicted engagement against the creator's typical post, when the cohort has a model.
        public var score: Double?
        /// Why it ranks where it does.
        public var reasons: [String]
        public var flags: [String]
        public var notes: [String]
        public var post: FormattedPost
        public var text: String
        public var truncated: Bool
        public var rewritten: Bool
        public var originality: Review.Originality
    }

    /// Where the time went, in milliseconds, for the run that finished it.
    public struct Timings: Codable, Sendable, Equatable {
        /// From the request to the first token.
        public var firstTokenMilliseconds: Double
        public var totalMilliseconds: Double
        /// Inside the provider's calls.
        public var providerMilliseconds: Double
        /// Everything else: context, plan, review, scoring, storing the steps.
        public var stepOverheadMilliseconds: Double
    }

    public var post: FormattedPost
    public var text: String
    public var provider: String
    public var model: String
    public var contextItems: [String]
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var finishReason: String?
    public var truncated: Bool
    public var timings: Timings
    /// Every variant, best first.
    public var variants: [Variant]
    public var plan: ContentPlan
    public var schedule: Schedule
    public var brief: PersonalizationContext.Brief?
    /// The job it ran for, and its trace, once stored.
    public var generationID: Int64?
    public var traceID: Int64?

    /// The reviews ranked: ready before flagged, then by predicted engagement, then in the order written.
    static func rank(_ reviews: [Review]) -> [Variant] {
        let ordered = reviews.sorted { a, b in
            if a.verdict != b.verdict { return a.verdict == .ready }
            let (scoreA, scoreB) = (a.score?.relativeToBaseline ?? 0, b.score?.relativeToBaseline ?? 0)
            if scoreA != scoreB { return scoreA > scoreB }
            return a.variant < b.variant
        }
        return ordered.enumerated().map { index, review in
            var reasons: [String] = [review.verdict == .ready ? "passed review" : "flagged: " + review.flags.joined(separator: "; ")]
            if let score = review.score {
                reasons.append(
                    String(
                        format: "predicted %.2f× the creator's typical engagement (%.2f–%.2f)", score.relativeToBaseline, score.low, score.high))
            } else {
                reasons.append("no engagement prediction")
            }
            if let reason = review.angle.reason { reasons.append("angle \(review.angle.name): \(reason)") }
            return Variant(
                rank: index + 1, variant: review.variant, angle: review.angle, verdict: review.verdict, score: review.score?.relativeToBaseline,
                reasons: reasons, flags: review.flags, notes: review.notes, post: review.post, text: review.text, truncated: review.draft.truncated,
                rewritten: review.rewritten, originality: review.originality)
        }
    }
}

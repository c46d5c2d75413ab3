public import Foundation

/// What a cohort's posts say performs, fitted by ``StrategyEstimator`` (docs/STRATEGY.md):
/// engagement by hour of the week and by a post's form and topic, each against the creator's
/// own baseline, with standard errors.
///
/// Effects are on the log scale of the engagement rate; `exp(effect)` is the multiplier
/// ("1.3× the engagement"). Hours are UTC hours of the week, Monday 0:00 UTC being 0.
public struct CohortStrategy: Codable, Sendable, Equatable {
    /// An estimated multiplier of engagement with its 95 % interval.
    public struct Uplift: Codable, Sendable, Equatable {
        /// A ``ProfileStore/PostFeatures`` name (`question`, `thread`, …), `topic`, or `trending`.
        public var factor: String
        /// The topic, for `topic` and `trending`.
        public var topic: String?
        /// The platform the estimate is for; nil for all of the cohort's platforms together.
        public var platform: String?
        /// exp(effect): the engagement of a post with the factor against the same creator's post without it.
        public var uplift: Double
        /// The 95 % interval's ends, exp(effect ∓ 1.96 standard errors).
        public var low: Double
        public var high: Double
        /// The log-scale effect and its standard error.
        public var effect: Double
        public var standardError: Double
        /// Posts with the factor behind the estimate.
        public var posts: Int

        /// The factor with its topic when it has one: "question", "topic: running", "trending: defi".
        public var name: String { topic.map { "\(factor): \($0)" } ?? factor }

        /// A line for the writer: "questions: 1.31× the engagement (1.18–1.45, 2104 posts)".
        public var hint: String {
            let name: String =
                switch factor {
                case "topic": "posts about \(topic ?? "the topic")"
                case "trending": "posts about the trending topic \(topic ?? "")"
                default: Self.phrases[factor] ?? factor
                }
            let scope = platform.map { " on \($0)" } ?? ""
            return "\(name)\(scope): \(Self.format(uplift))× the engagement (\(Self.format(low))–\(Self.format(high)), \(posts) posts)"
        }

        static let phrases = [
            "question": "questions", "thread": "threads", "hook": "a short hook line first", "long": "long posts",
            "emoji": "emoji", "many_hashtags": "three hashtags or more",
        ]

        static func format(_ value: Double) -> String { String(format: "%.2f", value) }
    }

    /// The hour-of-week effect (mean 0 over the week) by UTC hour of the week.
    public var hourEffects: [Double]
    /// Its standard errors.
    public var hourErrors: [Double]
    /// The posts the estimate of each hour leans on (kernel-weighted: an effective sample size).
    public var hourEvidence: [Double]
    /// Every estimated uplift: per platform where the cohort has enough posts there, and
    /// each factor over all platforms.
    public var uplifts: [Uplift]
    /// Posts the model was fitted on (those with at least 100 views).
    public var posts: Int
    /// Creators behind them.
    public var creators: Int
    /// The spread of a single post around the model (log scale): how much a prediction can miss by.
    public var residualSD: Double

    /// The model of a cohort with no usable posts: every effect zero, nothing known.
    public static let empty = CohortStrategy(
        hourEffects: Array(repeating: 0, count: 168), hourErrors: Array(repeating: 0, count: 168), hourEvidence: Array(repeating: 0, count: 168),
        uplifts: [], posts: 0, creators: 0, residualSD: 0)

    /// The uplift of `factor` for `platform`: the platform's own estimate when there is one,
    /// otherwise the cohort-wide one, otherwise nil.
    public func uplift(of factor: String, topic: String? = nil, platform: String?) -> Uplift? {
        let matching = uplifts.filter { $0.factor == factor && $0.topic == topic }
        return matching.first { $0.platform == platform && platform != nil } ?? matching.first { $0.platform == nil }
    }

    /// The best UTC hours of the week to post, best first: hours with at least
    /// `minimumEvidence` effective posts whose whole 95 % interval is above the average hour.
    public func recommendedHours(_ count: Int, minimumEvidence: Double = 30) -> [Int] {
        let eligible = hourEffects.indices.filter {
            hourEvidence[$0] >= minimumEvidence && hourEffects[$0] - 1.96 * hourErrors[$0] > 0
        }
        return Array(eligible.sorted { (hourEffects[$0], $1) > (hourEffects[$1], $0) }.prefix(count))
    }

    /// The factors that perform best across the cohort: cohort-wide uplifts whose whole interval
    /// is above 1, highest first.
    public func whatPerforms(_ count: Int) -> [Uplift] {
        Array(uplifts.filter { $0.platform == nil && $0.low > 1 }.sorted { ($0.uplift, $1.factor) > ($1.uplift, $0.factor) }.prefix(count))
    }
}

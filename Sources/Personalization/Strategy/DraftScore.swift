public import Foundation

/// A draft's predicted engagement against its creator's baseline, from the cohort's strategy
/// model (docs/STRATEGY.md): what ``PersonalizationEngine/score(userID:draft:)`` answers.
public struct DraftScore: Codable, Sendable, Equatable {
    /// What is scored.
    public struct Draft: Sendable, Equatable {
        /// The text (1…10,000 characters, not blank).
        public var text: String
        /// The platform; nil for the creator's most used one.
        public var platform: String?
        /// When it would be published; nil for now.
        public var at: Date?

        public init(text: String, platform: String? = nil, at: Date? = nil) {
            self.text = text
            self.platform = platform
            self.at = at
        }
    }

    /// One part of the prediction and its uplift.
    public struct Part: Codable, Sendable, Equatable {
        /// `hour`, a feature name, `topic: …` or `trending: …`.
        public var factor: String
        public var uplift: Double
    }

    public var userID: Int64
    public var platform: String
    public var at: Date
    /// The UTC hour of the week it would go out at: Monday 0 … Sunday 6, and 0…23.
    public var weekday: Int
    public var hour: Int
    /// The features read from the text (``ProfileStore/PostFeatures`` names).
    public var features: [String]
    /// The cohort topic the text is about, if any, and whether it is trending now.
    public var topic: String?
    public var trending: Bool
    /// Expected engagement against the creator's typical post: 1.2 is 20 % more.
    public var relativeToBaseline: Double
    /// The 95 % interval of that expectation.
    public var low: Double
    public var high: Double
    /// The creator's median engagement rate (the cohort's when the creator has no posts with enough views).
    public var baselineEngagementRate: Double
    /// baseline × relative.
    public var expectedEngagementRate: Double
    /// A single post scatters around the expectation by about ×/÷ this factor (one standard deviation).
    public var singlePostSpread: Double
    /// The hour, then each factor that applies, with its uplift against an average hour without it.
    public var parts: [Part]
    /// The cohort and the run whose model scored it.
    public var cohort: Int
    public var runID: Int64
    /// What the score could not use, in words.
    public var notes: [String]
}

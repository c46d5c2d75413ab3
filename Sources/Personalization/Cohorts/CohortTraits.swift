public import Foundation
public import ProfileStore

/// What a cohort's creators have in common, derived from their posts at rebuild time.
///
/// Engagement rate is (likes + reposts) / views. Hours are UTC; weekdays run Monday 0 … Sunday 6.
public struct CohortTraits: Codable, Sendable, Equatable {
    /// A name with how often it occurs.
    public struct Count: Codable, Sendable, Equatable {
        public var name: String
        public var count: Int
    }

    /// A recommended hour of the week: the strategy model's estimate of how posts published
    /// in it perform against the same creators' posts at an average hour (docs/STRATEGY.md).
    public struct PostingSlot: Codable, Sendable, Equatable {
        /// Monday 0 … Sunday 6.
        public var weekday: Int
        /// 0…23, UTC.
        public var hour: Int
        /// The median engagement rate of the posts published in this hour (raw, not adjusted for who posted them).
        public var medianEngagementRate: Double
        /// The posts published in this hour.
        public var posts: Int
        /// The estimated multiplier of engagement against an average hour, with the ends of its 95 % interval
        /// (absent in runs built before the strategy model).
        public var uplift: Double?
        public var low: Double?
        public var high: Double?
        /// The posts the estimate leans on, this hour's and its neighbours' (an effective sample size).
        public var evidence: Double?
    }

    /// A topic posted about more in the last days than its baseline predicts.
    public struct TrendingTopic: Codable, Sendable, Equatable {
        public var topic: String
        /// Posts with the topic in the recent window.
        public var recentPosts: Int
        /// Posts with the topic in the baseline window (before the recent one).
        public var baselinePosts: Int
        /// (recent + 1) / (expected + 1), where expected is the baseline scaled to the recent window's length.
        public var lift: Double
        /// (recent − expected) / √(expected + 1): a Poisson z-score, so a surge of many posts
        /// outranks a few posts on a rare topic. Trends are ranked by it.
        public var score: Double
    }

    /// One of the cohort's best-performing posts.
    public struct TopPost: Codable, Sendable, Equatable {
        public var postID: Int64
        public var authorID: Int64
        public var platform: String
        public var publishedAt: Date
        public var engagementRate: Double
        public var views: Int64
        public var text: String
    }

    /// Creators in the cohort.
    public var size: Int
    /// Their mean cosine similarity to the centroid.
    public var meanSimilarity: Double
    /// Posts by the cohort's creators.
    public var posts: Int
    /// The median engagement rate of those posts.
    public var medianEngagementRate: Double
    /// Most used hashtags, most first.
    public var topHashtags: [Count]
    /// Most used topics, most first.
    public var topTopics: [Count]
    /// Platforms by posts, most first.
    public var platforms: [Count]
    /// The best hours of the week to post, best first: the strategy model's top hours among
    /// those with enough evidence whose whole interval is above an average hour (none when
    /// nothing is clear).
    public var bestPostingTimes: [PostingSlot]
    /// Topics rising in the last `recentDays` against the `baselineDays` before `asOf`.
    public var trendingTopics: [TrendingTopic]
    /// The end of the trend windows: the newest post in the store when the cohort was built.
    public var asOf: Date
    /// Length of the recent trend window, in days.
    public var recentDays: Int
    /// Length of the whole trend window, in days (the baseline is its part before the recent window).
    public var baselineDays: Int
    /// The cohort's best posts by engagement rate (with enough views to count).
    public var topPosts: [TopPost]
    /// The (up to) three factors that perform best in the cohort, each with its interval
    /// (absent in runs built before the strategy model).
    public var whatPerforms: [CohortStrategy.Uplift]?
    /// The fitted strategy model: what drafts are scored with (absent in runs built before it).
    public var strategy: CohortStrategy?
}

/// One cohort of the active run, as the engine and its callers see it.
public struct Cohort: Codable, Sendable, Equatable {
    /// The cohort's number, stable across rebuilds when the data barely change.
    public var id: Int
    /// A short label of its most distinctive terms, e.g. "fitness · marathon · training".
    public var label: String
    /// Its most distinctive terms, best first.
    public var terms: [String]
    /// Creators in it when the run was built.
    public var size: Int
    /// What its creators have in common.
    public var traits: CohortTraits

    /// A cohort.
    public init(id: Int, label: String, terms: [String], size: Int, traits: CohortTraits) {
        self.id = id
        self.label = label
        self.terms = terms
        self.size = size
        self.traits = traits
    }
}

extension Cohort {
    /// The cohort a stored record describes, its traits decoded from their JSON.
    ///
    /// - Throws: `DecodingError` when the traits are not `CohortTraits`' JSON.
    public init(record: CohortRecord) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        self.init(
            id: record.cohort, label: record.label, terms: record.terms, size: record.size,
            traits: try decoder.decode(CohortTraits.self, from: Data(record.traitsJSON.utf8)))
    }
}

extension CohortTraits {
    /// Traits of a cohort with no posts.
    static let empty = CohortTraits(
        size: 0, meanSimilarity: 0, posts: 0, medianEngagementRate: 0, topHashtags: [], topTopics: [], platforms: [],
        bestPostingTimes: [], trendingTopics: [], asOf: Date(timeIntervalSince1970: 0), recentDays: 7, baselineDays: 90, topPosts: [],
        whatPerforms: [], strategy: nil
    )
}

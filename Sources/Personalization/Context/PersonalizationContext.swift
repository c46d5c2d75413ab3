public import Foundation

/// What the writer agent knows about one creator: the versioned contract in docs/CONTEXT.md.
///
/// Built by ``PersonalizationEngine/context(for:options:)``; the CLI prints it, the HTTP
/// service returns it, and the writer agent reads exactly this type. Scores are "higher is better".
public struct PersonalizationContext: Codable, Sendable, Equatable {
    /// The version of this schema; a change that removes or renames a field bumps the major number.
    public static let schemaVersion = "1.2"

    /// The creator the context is for.
    public struct Creator: Codable, Sendable, Equatable {
        public var id: Int64
        public var handle: String
        public var name: String
        public var bio: String
    }

    /// The creator's cohort in the active run.
    public struct CohortMembership: Codable, Sendable, Equatable {
        public var runID: Int64
        public var id: Int
        public var label: String
        public var terms: [String]
        /// Cosine similarity of the creator to the cohort's centroid.
        public var similarity: Double
        public var size: Int
    }

    /// A creator similar to this one.
    public struct SimilarCreator: Codable, Sendable, Equatable {
        public var id: Int64
        public var handle: String
        /// Cosine similarity of the two creators' embeddings.
        public var score: Double
    }

    /// How an exemplar's score was made.
    public struct ScoreBreakdown: Codable, Sendable, Equatable {
        /// Similarity of the post's author to the creator (cosine).
        public var semantic: Double
        /// rate / (rate + cohort median rate): 0.5 at the cohort's median, toward 1 above it.
        public var engagement: Double
        /// 0.5 ^ (age in days / half-life).
        public var recency: Double
        /// 1 − the post's greatest similarity to an exemplar ranked before it (1 for the first).
        public var diversity: Double
        /// Cosine of the post's embedding and the brief's (nil without a brief).
        public var brief: Double?
        /// BM25 of the brief's words in the post, over the best in the candidates (0…1; nil without a brief).
        public var lexical: Double?
    }

    /// What the exemplars answer: the brief asked for, or the cohort's top trending topic standing in.
    public struct Brief: Codable, Sendable, Equatable {
        public var text: String
        /// "request" (the caller's brief) or "trendingTopic" (none was given).
        public var source: String
    }

    /// A post by a similar creator, worth showing the writer.
    public struct Exemplar: Codable, Sendable, Equatable {
        public var postID: Int64
        public var authorID: Int64
        public var authorHandle: String
        public var platform: String
        public var publishedAt: Date
        public var text: String
        public var hashtags: [String]
        public var topics: [String]
        /// The MMR value it was picked with: λ · relevance − (1 − λ) · (1 − diversity).
        public var score: Double
        /// relevance = semantic × engagement × recency, times the brief match when there is a brief.
        public var relevance: Double
        public var breakdown: ScoreBreakdown
        /// The creator's own post, shown for their voice.
        public var own: Bool
    }

    /// How the creator writes, from their own recent posts.
    public struct StyleHints: Codable, Sendable, Equatable {
        /// Posts the hints come from.
        public var posts: Int
        /// Median length in characters (grapheme clusters).
        public var medianLength: Int
        /// Mean hashtags per post.
        public var hashtagsPerPost: Double
        /// Share of posts with at least one emoji.
        public var emojiShare: Double
        /// Share of posts that are threads (start with "Thread", carry 🧵 or a 1/n marker).
        public var threadShare: Double
        /// The creator's most used hashtags, most first.
        public var topHashtags: [String]
        /// The creator's platforms by posts, most first.
        public var platforms: [String]
    }

    /// What performs in the creator's cohort, from its strategy model (docs/STRATEGY.md).
    public struct Strategy: Codable, Sendable, Equatable {
        /// Up to three factors (a post's form, a topic, a trend) whose uplift's whole 95 %
        /// interval is above 1, highest first; empty without a cohort or a clear signal.
        public var whatPerforms: [CohortStrategy.Uplift]
    }

    /// How similar creators were found.
    public struct SearchInfo: Codable, Sendable, Equatable {
        /// "exact" or "partitioned".
        public var mode: String
        /// Cohorts scanned, for "partitioned".
        public var nprobe: Int?
        /// Similar creators asked for.
        public var k: Int
    }

    /// The embedding the context was built from.
    public struct EmbeddingInfo: Codable, Sendable, Equatable {
        public var model: String
        /// Whether it was (re)computed for this request (missing or stale).
        public var refreshed: Bool
    }

    /// The token budget and what was dropped to meet it.
    public struct Budget: Codable, Sendable, Equatable {
        /// The budget asked for.
        public var tokens: Int
        /// The estimate for this context: ⌈UTF-8 bytes of its JSON / 4⌉.
        public var estimatedTokens: Int
        /// Items dropped per field, lowest-value first.
        public var dropped: [String: Int]
        /// True when even the smallest context (creator, cohort, one exemplar) is over the budget.
        public var exceeded: Bool
    }

    public var version: String
    /// When the context was built.
    public var generatedAt: Date
    /// The clock recency is measured against: the cohort's clock (set at the rebuild from
    /// creators' newest posts, past the newest 1 % of creators) or the creator's own newest
    /// post, whichever is later, never later than now; now when there is neither. Other
    /// creators' posts never set it (one creator posting ahead moves it at most to the next
    /// creator's newest day). A store loaded from a fixed data set so keeps a recent week.
    public var asOf: Date
    public var creator: Creator
    /// The brief the exemplars answer (absent when there is neither a brief nor a trending topic).
    public var brief: Brief?
    public var cohort: CohortMembership?
    public var similarCreators: [SimilarCreator]
    public var exemplars: [Exemplar]
    /// Best hours to post, from the cohort's strategy model (UTC), best first, each with its
    /// uplift against an average hour and the interval.
    public var postingTimes: [CohortTraits.PostingSlot]
    /// Topics rising in the cohort (last 7 days against the 90-day baseline), strongest first.
    public var trendingTopics: [CohortTraits.TrendingTopic]
    public var strategy: Strategy
    public var style: StyleHints
    public var search: SearchInfo
    public var embedding: EmbeddingInfo
    public var budget: Budget
}

extension PersonalizationContext {
    /// The context as JSON: ISO 8601 dates, sorted keys (compact: the bytes ``encoder(pretty:)``
    /// makes, written directly).
    public func jsonData(pretty: Bool = false) -> Data {
        guard pretty else { return Data(compactJSON()) }
        // Strings, numbers and dates only: encoding cannot fail.
        return try! Self.encoder(pretty: true).encode(self)
    }

    /// The encoder of the context's JSON.
    static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Decodes a context written by ``jsonData(pretty:)``.
    public static func decode(_ data: Data) throws -> PersonalizationContext {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(PersonalizationContext.self, from: data)
    }
}

public import struct Foundation.Date

/// A post, as one line of `posts.jsonl`:
/// `{"id": 7, "user_id": 42, "text": "…", "hashtags": ["ai"], "topics": ["agents"],
///   "platform": "x", "published_at": "2026-09-01T14:05:00Z", "views": 1200, "likes": 31, "reposts": 4}`.
public struct PostRecord: Codable, Sendable, Equatable {
    /// The post's id, positive.
    public var id: Int64
    /// Its author, a user imported before it.
    public var userID: Int64
    /// The post's text.
    public var text: String
    /// Topics, without `#`.
    public var topics: [String]
    /// Hashtags, without `#`.
    public var hashtags: [String]
    /// Where it was published: `x`, `linkedin`, `threads`, …
    public var platform: String
    /// When it was published (ISO 8601 in JSON), from ``earliestDate`` to a day past now.
    public var publishedAt: Date
    /// Engagement counts, from zero to ``maximumCount``.
    public var views: Int64
    public var likes: Int64
    public var reposts: Int64

    /// The largest engagement count a post may carry: 10¹², far above any real post's and
    /// far below `Int64.max`, so sums of counts never overflow.
    public static let maximumCount: Int64 = 1_000_000_000_000

    /// (likes + reposts) / views, computed in `Double` so that no counts overflow it; a post
    /// without views counts as one view.
    public var engagementRate: Double {
        (Double(likes) + Double(reposts)) / Double(max(views, 1))
    }

    /// The earliest publication date a post may carry: 2000-01-01, before any platform this
    /// engine serves existed (and well after the calendar switch that would shift older dates).
    public static let earliestDate = Date(timeIntervalSince1970: 946_684_800)
    /// How far past the present a publication date may be (clock skew between the platforms and
    /// us): one day. A date beyond it is refused, so no post can move anyone's clock ahead.
    public static let maximumFutureSkew: Double = 86_400

    /// A post record.
    public init(
        id: Int64, userID: Int64, text: String, topics: [String] = [], hashtags: [String] = [],
        platform: String, publishedAt: Date, views: Int64 = 0, likes: Int64 = 0, reposts: Int64 = 0
    ) {
        self.id = id
        self.userID = userID
        self.text = text
        self.topics = topics
        self.hashtags = hashtags
        self.platform = platform
        self.publishedAt = publishedAt
        self.views = views
        self.likes = likes
        self.reposts = reposts
    }

    private enum CodingKeys: String, CodingKey {
        case id, text, topics, hashtags, platform, views, likes, reposts
        case userID = "user_id"
        case publishedAt = "published_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        userID = try container.decode(Int64.self, forKey: .userID)
        text = try container.decode(String.self, forKey: .text)
        topics = try container.decodeIfPresent([String].self, forKey: .topics) ?? []
        hashtags = try container.decodeIfPresent([String].self, forKey: .hashtags) ?? []
        platform = try container.decode(String.self, forKey: .platform)
        publishedAt = try container.decode(Date.self, forKey: .publishedAt)
        views = try container.decodeIfPresent(Int64.self, forKey: .views) ?? 0
        likes = try container.decodeIfPresent(Int64.self, forKey: .likes) ?? 0
        reposts = try container.decodeIfPresent(Int64.self, forKey: .reposts) ?? 0
    }

    /// The first field that breaks a rule, as (field, problem), or nil when the record is valid.
    public func problem() -> (field: String, message: String)? {
        if id <= 0 { return ("id", "must be positive") }
        if userID <= 0 { return ("user_id", "must be positive") }
        if let problem = RecordRules.text(text, maximum: 100_000) { return ("text", problem) }
        if let problem = RecordRules.text(platform, maximum: 32) { return ("platform", problem) }
        for (field, values) in [("topics", topics), ("hashtags", hashtags)] {
            if values.count > 64 { return (field, "has \(values.count) entries; the limit is 64") }
            for value in values {
                if let problem = RecordRules.text(value, maximum: 100) { return (field, "an entry \(problem)") }
            }
        }
        if publishedAt < Self.earliestDate { return ("published_at", "must not be before 2000-01-01, got \(publishedAt)") }
        if publishedAt.timeIntervalSinceNow > Self.maximumFutureSkew {
            return ("published_at", "must not be more than a day in the future, got \(publishedAt)")
        }
        for (field, value) in [("views", views), ("likes", likes), ("reposts", reposts)] {
            if value < 0 { return (field, "must not be negative") }
            if value > Self.maximumCount { return (field, "must be at most \(Self.maximumCount), got \(value)") }
        }
        return nil
    }
}

/// Where a post goes, with the limits its platform enforces.
public enum Platform: String, Sendable, Codable, CaseIterable {
    /// One post of at most 280 characters (URLs count 23), or a thread of such posts.
    case x
    /// A caption of at most 2,200 characters, at most 30 hashtags, hashtags at the end.
    case instagram
    /// A caption of at most 2,200 characters, hashtags included.
    case tiktok
    /// A title of at most 100 characters and a description of at most 5,000.
    case youtube
}

extension Platform {
    /// The provider's token limit when the request names none: room for the platform's
    /// longest post (a thread of eight 280-character posts; a 2,200-character caption; a title
    /// and a description), at about 4 characters a token, with headroom for the model's words
    /// that formatting drops.
    public var defaultMaximumTokens: Int {
        switch self {
        case .x: 700
        case .instagram, .tiktok: 800
        case .youtube: 1_400
        }
    }
}

/// A post ready for its platform.
public struct FormattedPost: Sendable, Codable, Equatable {
    public var platform: Platform
    /// The post, or the posts of a thread in order (X); the caption (Instagram, TikTok);
    /// the description (YouTube).
    public var parts: [String]
    /// The title (YouTube only).
    public var title: String?
    /// The hashtags the post carries, without `#`.
    public var hashtags: [String]
}

/// The shape of the post the strategy step plans.
public enum ContentFormat: String, Codable, Sendable, CaseIterable {
    /// One post (X within 280 characters, a TikTok caption).
    case singlePost
    /// An X thread of numbered posts.
    case thread
    /// An Instagram carousel's caption: a hook, then one short paragraph a slide.
    case carouselCaption
    /// A YouTube video's title and description.
    case videoTitleAndDescription

    /// What the writer is told about the format.
    var instruction: String {
        switch self {
        case .singlePost: "one self-contained post"
        case .thread: "a thread: a hook first, then one idea a post, in short sentences"
        case .carouselCaption: "a carousel caption: a one-line hook, then one short paragraph per slide"
        case .videoTitleAndDescription: "a video title as the first sentence (under 100 characters), then its description"
        }
    }
}

public import struct Foundation.Date

/// What text a creator's profile becomes before it is embedded: the name, the bio,
/// and the most recent posts with their hashtags and topics.
///
/// The same document feeds every embedder. HTTP embedders read `text`; the hashing
/// embedder reads the fields with their weights (`Field.weight`). `contentHash(model:)`
/// identifies the text and the model together, so a profile whose hash is unchanged
/// is not embedded again.
public struct ProfileDocument: Sendable, Equatable {
    /// One post as the document sees it.
    public struct Post: Sendable, Equatable {
        public var text: String
        public var hashtags: [String]
        public var topics: [String]
        public var publishedAt: Date

        /// A post; hashtags and topics without `#`.
        public init(text: String, hashtags: [String] = [], topics: [String] = [], publishedAt: Date) {
            self.text = text
            self.hashtags = hashtags
            self.topics = topics
            self.publishedAt = publishedAt
        }
    }

    /// The parts of a document, each with the weight the hashing embedder gives its words.
    public enum Field: String, Sendable, CaseIterable {
        case name, bio, post, hashtag, topic

        /// Hashtags and topics say what a creator is about most directly, then the bio;
        /// the name says little (and mostly collides with other names).
        public var weight: Float {
            switch self {
            case .name: 0.5
            case .bio: 1.5
            case .post: 1.0
            case .hashtag: 2.0
            case .topic: 2.0
            }
        }
    }

    /// How many recent posts a document keeps by default.
    public static let defaultPostLimit = 20

    /// The display name.
    public var name: String
    /// The bio.
    public var bio: String
    /// The most recent posts, newest first (at most the limit given at creation).
    public private(set) var posts: [Post]

    /// A document of `name`, `bio` and the `postLimit` most recent of `posts` (any order).
    /// Ties in time keep their given order, so the document does not depend on how the caller sorted.
    public init(name: String, bio: String, posts: [Post], postLimit: Int = ProfileDocument.defaultPostLimit) {
        self.name = name
        self.bio = bio
        self.posts = Array(
            posts.enumerated()
                .sorted { ($0.element.publishedAt, $1.offset) > ($1.element.publishedAt, $0.offset) }
                .prefix(max(postLimit, 0))
                .map(\.element)
        )
    }

    /// The fields in document order, each with its kind.
    public var fields: [(field: Field, text: String)] {
        var fields: [(Field, String)] = [(.name, name), (.bio, bio)]
        for post in posts {
            fields.append((.post, post.text))
            fields += post.hashtags.map { (.hashtag, $0) }
            fields += post.topics.map { (.topic, $0) }
        }
        return fields
    }

    /// The document as one text, for embedders that read prose: the name, the bio, then one
    /// line per post with its hashtags and topics.
    public var text: String {
        var lines = ["\(name)", bio]
        for post in posts {
            var line = post.text
            let tags = post.hashtags.map { "#\($0)" } + post.topics.map { "[\($0)]" }
            if !tags.isEmpty { line += " " + tags.joined(separator: " ") }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// A 16-byte hash of `text` and `model`: two 64-bit FNV-1a hashes with different
    /// seeds. It detects change; it is not a cryptographic digest.
    public func contentHash(model: String) -> [UInt8] {
        var bytes = Array(model.utf8)
        bytes.append(0)
        bytes += text.utf8
        return [FNV1a.offset, 0x8422_2325_cbf2_9ce4].flatMap { seed in
            withUnsafeBytes(of: FNV1a.hash(bytes, seed: seed).bigEndian, Array.init)
        }
    }
}

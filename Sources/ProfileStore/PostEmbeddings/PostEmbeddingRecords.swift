public import struct Foundation.Date

/// One post's compact embedding, as written to and read from `post_embeddings`.
public struct PostEmbeddingRow: Sendable, Equatable {
    /// The post.
    public var postID: Int64
    /// The code of its vector (`SparseCode`'s bytes).
    public var code: [UInt8]
    /// Its lexical term ids, sorted (`LexicalTerms.ofPost`).
    public var terms: [UInt32]
    /// A hash of what was embedded and the model, to skip unchanged posts.
    public var contentHash: [UInt8]

    /// A row to write.
    public init(postID: Int64, code: [UInt8], terms: [UInt32], contentHash: [UInt8]) {
        self.postID = postID
        self.code = code
        self.terms = terms
        self.contentHash = contentHash
    }
}

/// Post embeddings read from the store (with each post's author and date), and where to
/// resume their change feed.
public struct PostEmbeddingChanges: Sendable {
    /// One written or changed post embedding.
    public struct Entry: Sendable {
        public var postID: Int64
        public var authorID: Int64
        public var publishedAt: Date
        /// (likes + reposts) / views, as `PostRecord.engagementRate`.
        public var engagementRate: Double
        public var code: [UInt8]
        public var terms: [UInt32]

        /// An entry as the store reads it (or as a caller that wrote it knows it).
        public init(postID: Int64, authorID: Int64, publishedAt: Date, engagementRate: Double, code: [UInt8], terms: [UInt32]) {
            self.postID = postID
            self.authorID = authorID
            self.publishedAt = publishedAt
            self.engagementRate = engagementRate
            self.code = code
            self.terms = terms
        }
    }

    /// Post embeddings of the model asked for, written since the watermark (all, from `.beginning`).
    public var entries: [Entry]
    /// Posts whose embedding was deleted since the watermark (empty from `.beginning`).
    public var deletedPostIDs: [Int64]
    /// Pass this to the next `postEmbeddings(model:changedSince:)` call.
    public var watermark: ChangeWatermark

    /// Changes as the store reads them (or as a caller that wrote them knows them).
    public init(entries: [Entry], deletedPostIDs: [Int64], watermark: ChangeWatermark) {
        self.entries = entries
        self.deletedPostIDs = deletedPostIDs
        self.watermark = watermark
    }
}

/// A post to embed, with the content hash stored with its embedding (nil when it has none).
public struct PostToEmbed: Sendable {
    public var post: PostRecord
    public var storedContentHash: [UInt8]?
}

/// One stored post embedding as it streams in: the bytes are valid only inside the callback.
public struct PostEmbeddingView {
    public let postID: Int64
    public let authorID: Int64
    public let publishedAt: Date
    /// (likes + reposts) / views, as `PostRecord.engagementRate`.
    public let engagementRate: Double
    /// The code's stored bytes.
    public let code: UnsafeRawBufferPointer
    /// The term ids, UInt32 LE each.
    public let terms: UnsafeRawBufferPointer
}

public import VectorMath

/// Profile embeddings to write: row `i` of `vectors` belongs to `userIDs[i]`.
public struct EmbeddingRows: Sendable {
    /// One user id per row, each at most once.
    public var userIDs: [Int64]
    /// The vectors, row-major, `userIDs.count × dimensions`, finite and non-zero.
    public var vectors: Matrix<Float>
    /// The embedder's model id, e.g. `text-embedding-3-small`.
    public var model: String
    /// One hash per row of the text that was embedded (and the model), to skip unchanged profiles.
    public var contentHashes: [[UInt8]]

    /// Rows to write; the shapes are checked by `ProfileStore.writeEmbeddings`.
    public init(userIDs: [Int64], vectors: Matrix<Float>, model: String, contentHashes: [[UInt8]]) {
        self.userIDs = userIDs
        self.vectors = vectors
        self.model = model
        self.contentHashes = contentHashes
    }
}

/// Embeddings read from the store, and where to resume the change feed.
public struct EmbeddingChanges: Sendable {
    /// The users whose embeddings were written since the watermark asked for (all, from `.beginning`).
    public var userIDs: [Int64]
    /// Their vectors, row `i` for `userIDs[i]`, in no particular order.
    public var vectors: Matrix<Float>
    /// Users whose embeddings were deleted since the watermark (empty from `.beginning`).
    public var deletedUserIDs: [Int64]
    /// Pass this to the next `embeddings(changedSince:)` call.
    public var watermark: ChangeWatermark

    /// Changes as the store reads them (or as a caller that wrote them knows them).
    public init(userIDs: [Int64], vectors: Matrix<Float>, deletedUserIDs: [Int64], watermark: ChangeWatermark) {
        self.userIDs = userIDs
        self.vectors = vectors
        self.deletedUserIDs = deletedUserIDs
        self.watermark = watermark
    }
}

/// A position in the embeddings' change feed.
///
/// It is the oldest transaction still running when the read was taken (the
/// snapshot's xmin): every transaction below it has finished, so nothing
/// committed later can fall behind it. A read from a watermark may repeat rows
/// the previous read returned (transactions at or above xmin that had already
/// committed); applying them again is harmless, since they are upserts.
public struct ChangeWatermark: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// A PostgreSQL `xid8`.
    public var transactionID: UInt64

    /// A watermark at `transactionID`.
    public init(transactionID: UInt64) { self.transactionID = transactionID }

    /// Before every change: the whole table.
    public static let beginning = ChangeWatermark(transactionID: 0)

    public static func < (lhs: ChangeWatermark, rhs: ChangeWatermark) -> Bool { lhs.transactionID < rhs.transactionID }

    public var description: String { String(transactionID) }
}

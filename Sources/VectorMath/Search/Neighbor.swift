/// One search hit: a label (row number or external id) and its similarity.
public struct Neighbor: Hashable, Sendable, CustomStringConvertible {
    /// The row number or external id of the hit.
    public var id: Int64
    /// The inner product with the query (cosine similarity for unit vectors).
    public var score: Float

    /// Creates a hit.
    public init(id: Int64, score: Float) {
        self.id = id
        self.score = score
    }

    /// Whether `self` ranks before `other`: higher score first, then the smaller id.
    @inlinable
    public func ranks(before other: Neighbor) -> Bool {
        score > other.score || (score == other.score && id < other.id)
    }

    public var description: String { "\(id):\(score)" }
}

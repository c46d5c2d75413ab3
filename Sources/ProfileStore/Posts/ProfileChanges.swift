/// Creators whose profile or posts were written since a watermark (`profile_changes`), and
/// where to resume.
public struct ProfileChanges: Sendable, Equatable {
    /// Each creator written, with the transaction that last stamped them (a row read again while
    /// an older transaction runs carries the same stamp, so a caller can tell it from a new write).
    public var stamps: [Int64: UInt64]
    /// Where the next read starts.
    public var watermark: ChangeWatermark

    /// Changes as read.
    public init(stamps: [Int64: UInt64], watermark: ChangeWatermark) {
        self.stamps = stamps
        self.watermark = watermark
    }
}

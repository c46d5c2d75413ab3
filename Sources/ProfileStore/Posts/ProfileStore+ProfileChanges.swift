extension ProfileStore {
    /// The creators whose user row or posts were inserted, updated or deleted by transactions at
    /// or after `watermark` (migration 8's triggers stamp them), read in one repeatable-read
    /// snapshot whose xmin is the next watermark, as the embeddings' feed is read.
    public func profileChanges(since watermark: ChangeWatermark) async throws(ProfileStoreError) -> ProfileChanges {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction(.repeatableRead, readOnly: true) { () throws(ProfileStoreError) in
                let next = ChangeWatermark(transactionID: try connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())").uint64(0, 0))
                let rows = try connection.query(
                    "SELECT user_id, changed_xid FROM profile_changes WHERE changed_xid >= $1", [.xid8(watermark.transactionID)], prepared: true)
                var stamps: [Int64: UInt64] = [:]
                stamps.reserveCapacity(rows.rowCount)
                for row in 0..<rows.rowCount { stamps[try rows.int64(row, 0)] = try rows.uint64(row, 1) }
                return ProfileChanges(stamps: stamps, watermark: next)
            }
        }
    }
}

extension ProfileStore {
    /// What an engine snapshot of this store must match to be used.
    public struct SnapshotIdentity: Sendable, Equatable {
        /// The store's random id (migration 7), set when its schema was made.
        public var instance: String
        /// The newest migration applied.
        public var schemaVersion: Int
        /// The next transaction id the server hands out: a snapshot's watermark is never past it.
        public var nextTransaction: UInt64
    }

    /// The store's identity now.
    public func snapshotIdentity() async throws(ProfileStoreError) -> SnapshotIdentity {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                """
                SELECT (SELECT value FROM store_settings WHERE name = 'instance'),
                       (SELECT max(version) FROM schema_migrations),
                       pg_snapshot_xmax(pg_current_snapshot())::text
                """)
            guard rows.rowCount == 1, !rows.isNull(0, 0), let next = UInt64(try rows.string(0, 2)) else {
                throw ProfileStoreError(.decoding, "the store has no instance id: run `onering db migrate`")
            }
            return SnapshotIdentity(instance: try rows.string(0, 0), schemaVersion: Int(try rows.int64(0, 1)), nextTransaction: next)
        }
    }
}

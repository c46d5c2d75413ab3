internal import VectorMath

extension ProfileStore {
    /// Writes embeddings in one transaction: all rows are written or none.
    ///
    /// Users without an embedding get theirs by binary `COPY` straight into
    /// `profile_embeddings` (an upsert through a staging table is about four times
    /// slower, measured); users with one are updated from a session-local staging
    /// table. If a concurrent writer inserts one of the users first, the batch is retried.
    ///
    /// Throws `.invalidInput` before touching the database for mismatched shapes,
    /// a repeated user id, or a NaN, infinite or zero vector; and when a user does not exist.
    /// - Returns: the rows written.
    @discardableResult
    public func writeEmbeddings(_ rows: EmbeddingRows) async throws(ProfileStoreError) -> Int {
        try validate(rows)
        guard !rows.userIDs.isEmpty else { return 0 }
        return try await withTables { connection throws(ProfileStoreError) in
            do throws(ProfileStoreError) {
                return try write(rows, on: connection)
            } catch  where error.sqlState == "23505" {
                return try write(rows, on: connection)
            } catch  where error.sqlState == "23503" {
                throw ProfileStoreError(.invalidInput, "embeddings for users that do not exist: \(error.message)", sqlState: error.sqlState)
            }
        }
    }

    private func write(_ rows: EmbeddingRows, on connection: PostgresConnection) throws(ProfileStoreError) -> Int {
        let dimensions = configuration.dimensions
        return try connection.transaction { () throws(ProfileStoreError) in
            let found = try connection.query(
                "SELECT user_id FROM profile_embeddings WHERE user_id = ANY($1)", [.int64Array(rows.userIDs)]
            )
            var existing = Set<Int64>(minimumCapacity: found.rowCount)
            for row in 0..<found.rowCount { existing.insert(try found.int64(row, 0)) }

            func copy(into table: String, where include: @escaping (Int64) -> Bool) throws(ProfileStoreError) {
                try connection.copyIn("COPY \(table) (user_id, embedding, model, content_hash) FROM STDIN (FORMAT binary)") {
                    (writer) throws(ProfileStoreError) in
                    try rows.vectors.withUnsafeBufferPointer { (vectors) throws(ProfileStoreError) in
                        for (row, userID) in rows.userIDs.enumerated() where include(userID) {
                            try writer.beginRow(fields: 4)
                            try writer.append(.int64(userID))
                            try writer.appendVector(UnsafeBufferPointer(rebasing: vectors[row * dimensions..<(row + 1) * dimensions]))
                            try writer.append(.text(rows.model))
                            try writer.append(.bytea(rows.contentHashes[row]))
                        }
                    }
                }
            }
            if existing.count < rows.userIDs.count {
                try copy(into: "profile_embeddings") { !existing.contains($0) }
            }
            if !existing.isEmpty {
                try connection.execute(
                    """
                    CREATE TEMP TABLE IF NOT EXISTS embedding_staging (
                        user_id bigint NOT NULL,
                        embedding vector(\(dimensions)) NOT NULL,
                        model text NOT NULL,
                        content_hash bytea NOT NULL
                    ) ON COMMIT DELETE ROWS;
                    ALTER TABLE embedding_staging ALTER COLUMN embedding SET STORAGE PLAIN
                    """)
                try copy(into: "embedding_staging") { existing.contains($0) }
                try connection.execute(
                    """
                    UPDATE profile_embeddings p SET
                        embedding = s.embedding, model = s.model, content_hash = s.content_hash, embedded_at = now()
                    FROM embedding_staging s WHERE p.user_id = s.user_id
                    """)
            }
            try connection.query("DELETE FROM embedding_deletions WHERE user_id = ANY($1)", [.int64Array(rows.userIDs)])
            return rows.userIDs.count
        }
    }

    /// Reads embeddings straight into a matrix: all of them from `.beginning`, else
    /// those written since `watermark` along with the users whose embeddings were deleted.
    /// A user deleted and then written again can be in both lists: apply the deletions first.
    ///
    /// One binary `COPY` in a repeatable-read transaction; rows are decoded into the
    /// matrix's storage with no per-row allocation on our side.
    public func embeddings(changedSince watermark: ChangeWatermark = .beginning) async throws(ProfileStoreError) -> EmbeddingChanges {
        let dimensions = configuration.dimensions
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction(.repeatableRead, readOnly: true) { () throws(ProfileStoreError) in
                // reltuples is -1 until the table is first analysed; then count (0.15 s per 100k rows).
                let head = try connection.query(
                    """
                    SELECT pg_snapshot_xmin(pg_current_snapshot()),
                           (SELECT reltuples FROM pg_class WHERE oid = 'profile_embeddings'::regclass)::bigint
                    """)
                let next = ChangeWatermark(transactionID: try head.uint64(0, 0))
                var userIDs: [Int64] = []
                var vectors = Matrix<Float>(columns: dimensions)
                if watermark == .beginning {
                    var estimate = Int(try head.int64(0, 1))
                    if estimate < 0 { estimate = Int(try connection.query("SELECT count(*) FROM profile_embeddings").int64(0, 0)) }
                    userIDs.reserveCapacity(estimate)
                    vectors.reserveCapacity(rows: estimate)
                }
                // Fault the matrix's pages in on another thread while the rows stream in:
                // on this VM a cold page fault costs more than decoding the row into it.
                let prefault = PageFaulter.start(vectors.allocation)
                defer { prefault.wait() }
                // The watermark is our own integer, not user text; COPY takes no parameters.
                let filter = watermark == .beginning ? "" : " WHERE changed_xid >= '\(watermark.transactionID)'::xid8"
                try connection.copyOut("COPY (SELECT user_id, embedding FROM profile_embeddings\(filter)) TO STDOUT (FORMAT binary)") {
                    (fields) throws(ProfileStoreError) in
                    guard fields.count == 2, let vector = fields[1] else {
                        throw ProfileStoreError(.decoding, "an embeddings row without its vector")
                    }
                    userIDs.append(try fields.int64(0))
                    if vectors.rows == vectors.capacity { vectors.reserveCapacity(rows: max(1024, 2 * vectors.rows)) }
                    try vectors.appendRows(count: 1) { (destination) throws(ProfileStoreError) in
                        try PGVectorCodec.decodeVector(vector, into: UnsafeMutableBufferPointer(start: destination, count: dimensions))
                    }
                }
                var deleted: [Int64] = []
                if watermark != .beginning {
                    let rows = try connection.query(
                        "SELECT user_id FROM embedding_deletions WHERE changed_xid >= $1", [.xid8(watermark.transactionID)]
                    )
                    for row in 0..<rows.rowCount { deleted.append(try rows.int64(row, 0)) }
                }
                return EmbeddingChanges(userIDs: userIDs, vectors: vectors, deletedUserIDs: deleted, watermark: next)
            }
        }
    }

    /// Deletes the embeddings of `userIDs` (they appear in the change feed as deletions).
    /// - Returns: the rows deleted.
    @discardableResult
    public func deleteEmbeddings(userIDs: [Int64]) async throws(ProfileStoreError) -> Int {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query("DELETE FROM profile_embeddings WHERE user_id = ANY($1)", [.int64Array(userIDs)]).affectedRows
        }
    }

    /// The model most stored embeddings were made with, or nil when there are none.
    public func embeddingModel() async throws(ProfileStoreError) -> String? {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query("SELECT model FROM profile_embeddings GROUP BY model ORDER BY count(*) DESC, model LIMIT 1")
            return rows.rowCount == 0 ? nil : try rows.string(0, 0)
        }
    }

    private func validate(_ rows: EmbeddingRows) throws(ProfileStoreError) {
        guard rows.vectors.columns == configuration.dimensions else {
            throw ProfileStoreError(.dimensionMismatch, "\(rows.vectors.columns)-dimensional embeddings for a \(configuration.dimensions)-dimensional store")
        }
        guard rows.vectors.rows == rows.userIDs.count, rows.contentHashes.count == rows.userIDs.count else {
            throw ProfileStoreError(
                .invalidInput, "\(rows.userIDs.count) user ids, \(rows.vectors.rows) vectors and \(rows.contentHashes.count) content hashes")
        }
        guard !rows.model.isEmpty else { throw ProfileStoreError(.invalidInput, "embeddings need a model id") }
        var seen = Set<Int64>(minimumCapacity: rows.userIDs.count)
        for userID in rows.userIDs where !seen.insert(userID).inserted {
            throw ProfileStoreError(.invalidInput, "user \(userID) appears twice in one batch of embeddings")
        }
        for (row, squares) in rows.vectors.squaredRowNorms().enumerated() where !(squares.isFinite && squares > 0) {
            throw ProfileStoreError(.invalidInput, "the embedding of user \(rows.userIDs[row]) is zero, NaN or infinite")
        }
    }
}

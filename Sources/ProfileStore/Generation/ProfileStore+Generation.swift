extension ProfileStore {
    /// The answer of the generation rate limit.
    public struct Admission: Sendable, Equatable {
        /// Whether the generation may run (and was counted).
        public var admitted: Bool
        /// Generations left in the window after this one.
        public var remaining: Int
        /// When refused: seconds until the oldest counted generation leaves the window.
        public var retryAfterSeconds: Double
    }

    /// Admits one generation for `userID` when fewer than `limit` were admitted in the last
    /// `windowSeconds`, and counts it; otherwise refuses and says when to retry.
    ///
    /// Every process sharing the store enforces one limit: the decision is taken in one
    /// transaction under a lock on the user's row.
    ///
    /// - Throws: `.invalidInput` when the user is not stored or `limit` is not positive.
    public func admitGeneration(userID: Int64, limit: Int, windowSeconds: Double) async throws(ProfileStoreError) -> Admission {
        guard limit > 0, windowSeconds > 0 else { throw ProfileStoreError(.invalidInput, "a rate limit needs a positive count and window") }
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) in
                let user = try connection.query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", [.int64(userID)])
                guard user.rowCount == 1 else { throw ProfileStoreError(.invalidInput, "user \(userID) is not stored") }
                try connection.query(
                    """
                    DELETE FROM generation_admissions
                    WHERE user_id = $1 AND admitted_at <= clock_timestamp() - make_interval(secs => $2)
                    """, [.int64(userID), .double(windowSeconds)])
                let window = try connection.query(
                    """
                    SELECT count(*), coalesce(extract(epoch FROM min(admitted_at) + make_interval(secs => $2) - clock_timestamp())::float8, 0)
                    FROM generation_admissions WHERE user_id = $1
                    """, [.int64(userID), .double(windowSeconds)])
                let used = Int(try window.int64(0, 0))
                guard used < limit else {
                    return Admission(admitted: false, remaining: 0, retryAfterSeconds: max(0, try window.double(0, 1)))
                }
                try connection.query("INSERT INTO generation_admissions (user_id) VALUES ($1)", [.int64(userID)])
                return Admission(admitted: true, remaining: limit - used - 1, retryAfterSeconds: 0)
            }
        }
    }

    /// Stores a generation's trace and returns its id.
    @discardableResult
    public func recordGenerationTrace(_ trace: GenerationTrace) async throws(ProfileStoreError) -> Int64 {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                """
                INSERT INTO generation_traces (user_id, platform, provider, model, status, started_at, duration_ms,
                                               first_token_ms, context_items, error)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """,
                [
                    .int64(trace.userID), .text(trace.platform), .text(trace.provider), .text(trace.model), .text(trace.status.rawValue),
                    .timestamp(trace.startedAt), .double(trace.durationMilliseconds), trace.firstTokenMilliseconds.map { .double($0) } ?? .null,
                    .textArray(trace.contextItems), trace.error.map { .text($0) } ?? .null,
                ]
            ).int64(0, 0)
        }
    }

    /// The newest generation traces first, at most `limit`.
    public func generationTraces(limit: Int = 50) async throws(ProfileStoreError) -> [GenerationTrace] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query(
                """
                SELECT id, user_id, platform, provider, model, status, started_at, duration_ms, first_token_ms, context_items, error
                FROM generation_traces ORDER BY started_at DESC, id DESC LIMIT $1
                """, [.int64(Int64(limit))])
            var traces: [GenerationTrace] = []
            traces.reserveCapacity(rows.rowCount)
            for row in 0..<rows.rowCount {
                let status = try rows.string(row, 5)
                guard let decoded = GenerationTrace.Status(rawValue: status) else {
                    throw ProfileStoreError(.decoding, "generation trace \(try rows.int64(row, 0)) has status \(status)")
                }
                traces.append(
                    GenerationTrace(
                        id: try rows.int64(row, 0), userID: try rows.int64(row, 1), platform: try rows.string(row, 2),
                        provider: try rows.string(row, 3), model: try rows.string(row, 4), status: decoded,
                        startedAt: try rows.date(row, 6), durationMilliseconds: try rows.double(row, 7),
                        firstTokenMilliseconds: rows.isNull(row, 8) ? nil : try rows.double(row, 8),
                        contextItems: try rows.stringArray(row, 9), error: rows.isNull(row, 10) ? nil : try rows.string(row, 10)
                    ))
            }
            return traces
        }
    }
}

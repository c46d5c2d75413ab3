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

    /// Stores a generation's trace with its spans, in one transaction, and returns its id.
    @discardableResult
    public func recordGenerationTrace(_ trace: GenerationTrace) async throws(ProfileStoreError) -> Int64 {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) -> Int64 in
                let id = try connection.query(
                    """
                    INSERT INTO generation_traces (user_id, platform, provider, model, status, started_at, duration_ms,
                                                   first_token_ms, context_items, error, generation_id, variants)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
                    """,
                    [
                        .int64(trace.userID), .text(trace.platform), .text(trace.provider), .text(trace.model), .text(trace.status.rawValue),
                        .timestamp(trace.startedAt), .double(trace.durationMilliseconds), trace.firstTokenMilliseconds.map { .double($0) } ?? .null,
                        .textArray(trace.contextItems), trace.error.map { .text($0) } ?? .null, trace.generationID.map { .int64($0) } ?? .null,
                        .int32(Int32(trace.variants)),
                    ]
                ).int64(0, 0)
                for (ordinal, span) in trace.spans.enumerated() {
                    try connection.query(
                        """
                        INSERT INTO generation_spans (trace_id, ordinal, name, variant, attempt, status, started_at, duration_ms, input, output, error)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                        """,
                        [
                            .int64(id), .int32(Int32(ordinal)), .text(span.name), span.variant.map { .int32(Int32($0)) } ?? .null,
                            .int32(Int32(span.attempt)), .text(span.status.rawValue), .timestamp(span.startedAt), .double(span.durationMilliseconds),
                            .text(span.input), .text(span.output), span.error.map { .text($0) } ?? .null,
                        ])
                }
                return id
            }
        }
    }

    /// The newest generation traces first, at most `limit`, with their spans.
    public func generationTraces(limit: Int = 50) async throws(ProfileStoreError) -> [GenerationTrace] {
        try await withTables { connection throws(ProfileStoreError) in
            try Self.traces(
                connection, where: "TRUE ORDER BY started_at DESC, id DESC LIMIT $1", [.int64(Int64(limit))])
        }
    }

    /// Trace `id` with its spans, or nil when there is none.
    public func generationTrace(id: Int64) async throws(ProfileStoreError) -> GenerationTrace? {
        try await withTables { connection throws(ProfileStoreError) in
            try Self.traces(connection, where: "id = $1", [.int64(id)]).first
        }
    }

    /// How generations went lately: for the monitoring page.
    public struct GenerationStats: Sendable, Equatable {
        /// Generations that ended, and those that succeeded, in the last hour and the last day.
        public var lastHour: (ended: Int, succeeded: Int)
        public var lastDay: (ended: Int, succeeded: Int)
        /// Per step over the last day: spans, median and 95th percentile duration in milliseconds.
        public var steps: [(name: String, spans: Int, p50: Double, p95: Double)]

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.lastHour == rhs.lastHour && lhs.lastDay == rhs.lastDay
                && lhs.steps.elementsEqual(rhs.steps) { $0.name == $1.name && $0.spans == $1.spans && $0.p50 == $1.p50 && $0.p95 == $1.p95 }
        }
    }

    /// Success rates over the last hour and day, and each step's duration percentiles over the last day.
    public func generationStats() async throws(ProfileStoreError) -> GenerationStats {
        try await withTables { connection throws(ProfileStoreError) in
            let rates = try connection.query(
                """
                SELECT count(*) FILTER (WHERE started_at > now() - interval '1 hour'),
                       count(*) FILTER (WHERE started_at > now() - interval '1 hour' AND status = 'succeeded'),
                       count(*), count(*) FILTER (WHERE status = 'succeeded')
                FROM generation_traces WHERE started_at > now() - interval '1 day'
                """)
            let steps = try connection.query(
                """
                SELECT name, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
                FROM generation_spans WHERE started_at > now() - interval '1 day'
                GROUP BY name
                ORDER BY array_position(ARRAY['research', 'strategy', 'write', 'review', 'schedule'], name), name
                """)
            return GenerationStats(
                lastHour: (Int(try rates.int64(0, 0)), Int(try rates.int64(0, 1))), lastDay: (Int(try rates.int64(0, 2)), Int(try rates.int64(0, 3))),
                steps: try (0..<steps.rowCount).map { (row) throws(ProfileStoreError) in
                    (try steps.string(row, 0), Int(try steps.int64(row, 1)), try steps.double(row, 2), try steps.double(row, 3))
                })
        }
    }

    private static func traces(_ connection: PostgresConnection, where condition: String, _ parameters: [PostgresValue]) throws(ProfileStoreError)
        -> [GenerationTrace]
    {
        let rows = try connection.query(
            """
            SELECT id, user_id, platform, provider, model, status, started_at, duration_ms, first_token_ms, context_items, error,
                   generation_id, variants
            FROM generation_traces WHERE \(condition)
            """, parameters)
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
                    contextItems: try rows.stringArray(row, 9), error: rows.isNull(row, 10) ? nil : try rows.string(row, 10),
                    generationID: rows.isNull(row, 11) ? nil : try rows.int64(row, 11), variants: Int(try rows.int64(row, 12))
                ))
        }
        guard !traces.isEmpty else { return traces }
        let spans = try connection.query(
            """
            SELECT trace_id, name, variant, attempt, status, started_at, duration_ms, input, output, error
            FROM generation_spans WHERE trace_id = ANY($1) ORDER BY trace_id, ordinal
            """, [.int64Array(traces.map(\.id))])
        let index = Dictionary(uniqueKeysWithValues: traces.enumerated().map { ($1.id, $0) })
        for row in 0..<spans.rowCount {
            guard let position = index[try spans.int64(row, 0)] else { continue }
            let status = try spans.string(row, 4)
            guard let decoded = GenerationSpan.Status(rawValue: status) else { throw ProfileStoreError(.decoding, "a generation span has status \(status)") }
            traces[position].spans.append(
                GenerationSpan(
                    name: try spans.string(row, 1), variant: spans.isNull(row, 2) ? nil : Int(try spans.int64(row, 2)), attempt: Int(try spans.int64(row, 3)),
                    status: decoded, startedAt: try spans.date(row, 5), durationMilliseconds: try spans.double(row, 6), input: try spans.string(row, 7),
                    output: try spans.string(row, 8), error: spans.isNull(row, 9) ? nil : try spans.string(row, 9)))
        }
        return traces
    }
}

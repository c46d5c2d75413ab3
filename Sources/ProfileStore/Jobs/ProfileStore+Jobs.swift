extension ProfileStore {
    /// Queues a job of `kind` with a JSON object of parameters.
    public func enqueueJob(kind: String, payloadJSON: String = "{}") async throws(ProfileStoreError) -> JobRecord {
        guard !kind.isEmpty, kind.count <= 64 else { throw ProfileStoreError(.invalidInput, "a job kind is 1 to 64 characters") }
        return try await withTables { connection throws(ProfileStoreError) in
            do throws(ProfileStoreError) {
                return try Self.decodeJobs(
                    connection.query(
                        "INSERT INTO jobs (kind, payload) VALUES ($1, $2::jsonb) RETURNING \(Self.jobColumns)", [.text(kind), .text(payloadJSON)]
                    ))[0]
            } catch  where error.sqlState == "22P02" {
                throw ProfileStoreError(.invalidInput, "the job's payload is not JSON: \(error.message)", sqlState: error.sqlState)
            }
        }
    }

    /// Queues a job of `kind` unless one of that kind is queued or running already; then that job
    /// is returned instead (`existing` true). Concurrent calls queue at most one.
    public func enqueueJobUnlessActive(kind: String, payloadJSON: String = "{}") async throws(ProfileStoreError) -> (job: JobRecord, existing: Bool) {
        guard !kind.isEmpty, kind.count <= 64 else { throw ProfileStoreError(.invalidInput, "a job kind is 1 to 64 characters") }
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) in
                try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("onering.\(configuration.schema).enqueue.\(kind)")])
                if let active = try Self.decodeJobs(
                    connection.query(
                        "SELECT \(Self.jobColumns) FROM jobs WHERE kind = $1 AND status IN ('queued', 'running') ORDER BY id LIMIT 1", [.text(kind)]
                    )
                ).first {
                    return (active, true)
                }
                do throws(ProfileStoreError) {
                    let job = try Self.decodeJobs(
                        connection.query(
                            "INSERT INTO jobs (kind, payload) VALUES ($1, $2::jsonb) RETURNING \(Self.jobColumns)", [.text(kind), .text(payloadJSON)]
                        ))[0]
                    return (job, false)
                } catch  where error.sqlState == "22P02" {
                    throw ProfileStoreError(.invalidInput, "the job's payload is not JSON: \(error.message)", sqlState: error.sqlState)
                }
            }
        }
    }

    /// Cancels job `id` if it is still queued.
    /// - Returns: the job as it is now and whether this call cancelled it (false: it was not
    ///   queued any more), nil when there is no such job.
    public func cancelJob(id: Int64) async throws(ProfileStoreError) -> (job: JobRecord, cancelled: Bool)? {
        try await withTables { connection throws(ProfileStoreError) in
            if let cancelled = try Self.decodeJobs(
                connection.query(
                    """
                    UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status = 'queued' RETURNING \(Self.jobColumns)
                    """, [.int64(id)])
            ).first {
                return (cancelled, true)
            }
            return try Self.decodeJobs(connection.query("SELECT \(Self.jobColumns) FROM jobs WHERE id = $1", [.int64(id)])).first.map { ($0, false) }
        }
    }

    /// Job `id`, or nil when there is none.
    public func job(id: Int64) async throws(ProfileStoreError) -> JobRecord? {
        try await withTables { connection throws(ProfileStoreError) in
            try Self.decodeJobs(connection.query("SELECT \(Self.jobColumns) FROM jobs WHERE id = $1", [.int64(id)])).first
        }
    }

    /// The newest jobs first, at most `limit`, only those older than job `before` when it is given
    /// (a page of a listing: pass the last id of the previous page).
    public func jobs(limit: Int = 50, before: Int64? = nil) async throws(ProfileStoreError) -> [JobRecord] {
        try await withTables { connection throws(ProfileStoreError) in
            try Self.decodeJobs(
                connection.query(
                    "SELECT \(Self.jobColumns) FROM jobs WHERE id < $2 ORDER BY id DESC LIMIT $1",
                    [.int64(Int64(limit)), .int64(before ?? Int64.max)]))
        }
    }

    /// How many jobs are in each status (every status, zero when none).
    public func jobCounts() async throws(ProfileStoreError) -> [JobRecord.Status: Int] {
        try await withTables { connection throws(ProfileStoreError) in
            let rows = try connection.query("SELECT status, count(*) FROM jobs GROUP BY status")
            var counts = Dictionary(uniqueKeysWithValues: JobRecord.Status.allCases.map { ($0, 0) })
            for row in 0..<rows.rowCount {
                let status = try rows.string(row, 0)
                guard let parsed = JobRecord.Status(rawValue: status) else {
                    throw ProfileStoreError(.decoding, "a job has status \(status)")
                }
                counts[parsed] = Int(try rows.int64(row, 1))
            }
            return counts
        }
    }

    /// Claims the oldest queued job of one of `kinds` for this runner (`FOR UPDATE SKIP LOCKED`,
    /// so concurrent runners never claim the same job), or returns nil.
    ///
    /// First, running jobs of `kinds` whose heartbeat is older than `staleAfter` seconds (their
    /// runner died) go back to the queue, or fail once they have been started `maxAttempts` times.
    ///
    /// The claimed job's `attempts` is the claim's fencing token: progress and the finish must
    /// present it, so a runner whose job was reclaimed can no longer write to it.
    public func claimJob(kinds: [String], staleAfter: Double, maxAttempts: Int) async throws(ProfileStoreError) -> JobRecord? {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) in
                try connection.query(
                    """
                    UPDATE jobs SET
                        status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END,
                        error = CASE WHEN attempts >= $2 THEN 'its runner stopped ' || attempts || ' times without finishing' END,
                        finished_at = CASE WHEN attempts >= $2 THEN now() END
                    WHERE status = 'running' AND kind = ANY($3) AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => $1)
                    """, [.double(staleAfter), .int32(Int32(maxAttempts)), .textArray(kinds)])
                return try Self.decodeJobs(
                    connection.query(
                        """
                        UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(), heartbeat_at = now(),
                                        progress = '{}', error = NULL
                        WHERE id = (
                            SELECT id FROM jobs WHERE status = 'queued' AND kind = ANY($1)
                            ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1
                        )
                        RETURNING \(Self.jobColumns)
                        """, [.textArray(kinds)])
                ).first
            }
        }
    }

    /// Whether a job of `kinds` is queued, or running with a heartbeat older than `staleAfter`
    /// seconds: one cheap query on a pooled connection, so an idle runner opens no session.
    public func hasClaimableJob(kinds: [String], staleAfter: Double) async throws(ProfileStoreError) -> Bool {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = ANY($1) AND (status = 'queued'
                    OR (status = 'running' AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => $2))))
                """, [.textArray(kinds), .double(staleAfter)]
            ).bool(0, 0)
        }
    }

    /// Records a running job's progress (a JSON object) and that its runner is alive, if the
    /// claim `attempt` (the job's `attempts` when it was claimed) still holds it.
    /// - Returns: false when the job was reclaimed or finished: the caller lost its lease.
    @discardableResult
    public func recordJobProgress(id: Int64, attempt: Int, progressJSON: String) async throws(ProfileStoreError) -> Bool {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                "UPDATE jobs SET progress = $2::jsonb, heartbeat_at = now() WHERE id = $1 AND status = 'running' AND attempts = $3",
                [.int64(id), .text(progressJSON), .int32(Int32(attempt))]
            ).affectedRows == 1
        }
    }

    /// Puts a running job back in the queue (its runner met a passing store failure), if the
    /// claim `attempt` still holds it.
    /// - Returns: false when the job was reclaimed or finished by another claim.
    @discardableResult
    public func requeueJob(id: Int64, attempt: Int, reason: String) async throws(ProfileStoreError) -> Bool {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                """
                UPDATE jobs SET status = 'queued', error = $3, progress = '{}' WHERE id = $1 AND status = 'running' AND attempts = $2
                """, [.int64(id), .int32(Int32(attempt)), .text(reason)]
            ).affectedRows == 1
        }
    }

    /// Marks a running job succeeded with its result, or failed with `error`, if the claim
    /// `attempt` still holds it.
    /// - Returns: false when the job was reclaimed or finished by another claim: nothing was written.
    @discardableResult
    public func finishJob(id: Int64, attempt: Int, resultJSON: String?, error: String?) async throws(ProfileStoreError) -> Bool {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                """
                UPDATE jobs SET status = CASE WHEN $3::text IS NULL THEN 'succeeded' ELSE 'failed' END,
                                result = $2::jsonb, error = $3, finished_at = now(), heartbeat_at = now()
                WHERE id = $1 AND status = 'running' AND attempts = $4
                """, [.int64(id), resultJSON.map(PostgresValue.text) ?? .null, error.map(PostgresValue.text) ?? .null, .int32(Int32(attempt))]
            ).affectedRows == 1
        }
    }
}

internal import Foundation

extension ProfileStore {
    static let generationColumns = """
        id, user_id, request::text, status, attempts, result::text, error, failed_step, trace_id, created_at, started_at, finished_at, heartbeat_at
        """

    /// Queues a generation job for `userID` with its request (a JSON object).
    ///
    /// - Throws: `.invalidInput` when the user is not stored or the request is not JSON.
    public func createGeneration(userID: Int64, requestJSON: String) async throws(ProfileStoreError) -> GenerationRecord {
        try await withTables { connection throws(ProfileStoreError) in
            do throws(ProfileStoreError) {
                return try Self.decodeGenerations(
                    connection.query(
                        "INSERT INTO generations (user_id, request) VALUES ($1, $2::jsonb) RETURNING \(Self.generationColumns)",
                        [.int64(userID), .text(requestJSON)]))[0]
            } catch  where error.sqlState == "23503" {
                throw ProfileStoreError(.invalidInput, "user \(userID) is not stored", sqlState: error.sqlState)
            } catch  where error.sqlState == "22P02" {
                throw ProfileStoreError(.invalidInput, "the generation's request is not JSON: \(error.message)", sqlState: error.sqlState)
            }
        }
    }

    /// Generation `id` with its completed steps, or nil when there is none.
    public func generation(id: Int64) async throws(ProfileStoreError) -> GenerationRecord? {
        try await withTables { connection throws(ProfileStoreError) in
            guard
                var record = try Self.decodeGenerations(connection.query("SELECT \(Self.generationColumns) FROM generations WHERE id = $1", [.int64(id)])).first
            else { return nil }
            record.steps = try Self.steps(of: id, connection)
            return record
        }
    }

    /// Claims a queued generation for this runner (`FOR UPDATE SKIP LOCKED`): generation `id`
    /// when given, else the oldest. First, running generations whose heartbeat is older than
    /// `staleAfter` seconds (their runner died) go back to the queue, or fail once they have
    /// been started `maxAttempts` times. The claim's `attempts` fences every later write.
    public func claimGeneration(id: Int64? = nil, staleAfter: Double, maxAttempts: Int) async throws(ProfileStoreError) -> GenerationRecord? {
        try await withTables { connection throws(ProfileStoreError) in
            let claimed = try connection.transaction { () throws(ProfileStoreError) -> GenerationRecord? in
                try connection.query(
                    """
                    UPDATE generations SET
                        status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END,
                        error = CASE WHEN attempts >= $2 THEN 'its runner stopped ' || attempts || ' times without finishing' END,
                        finished_at = CASE WHEN attempts >= $2 THEN now() END
                    WHERE status = 'running' AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => $1)
                    """, [.double(staleAfter), .int32(Int32(maxAttempts))])
                return try Self.decodeGenerations(
                    connection.query(
                        """
                        UPDATE generations SET status = 'running', attempts = attempts + 1, started_at = now(), heartbeat_at = now(),
                                               error = NULL, failed_step = NULL
                        WHERE id = (
                            SELECT id FROM generations WHERE status = 'queued' AND ($1::bigint IS NULL OR id = $1)
                            ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1
                        )
                        RETURNING \(Self.generationColumns)
                        """, [id.map { .int64($0) } ?? .null])
                ).first
            }
            guard var claimed else { return nil }
            claimed.steps = try Self.steps(of: claimed.id, connection)
            return claimed
        }
    }

    /// Whether a generation is queued, or running with a heartbeat older than `staleAfter` seconds.
    public func hasClaimableGeneration(staleAfter: Double) async throws(ProfileStoreError) -> Bool {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM generations WHERE status = 'queued'
                    OR (status = 'running' AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => $1)))
                """, [.double(staleAfter)]
            ).bool(0, 0)
        }
    }

    /// Queues failed generation `id` again; its completed steps stay, so it resumes after them.
    /// - Returns: the generation as it is now, nil when there is none. Only a failed one changes.
    public func retryGeneration(id: Int64) async throws(ProfileStoreError) -> GenerationRecord? {
        try await withTables { connection throws(ProfileStoreError) in
            _ = try connection.query(
                "UPDATE generations SET status = 'queued', finished_at = NULL WHERE id = $1 AND status = 'failed'", [.int64(id)])
            guard
                var record = try Self.decodeGenerations(connection.query("SELECT \(Self.generationColumns) FROM generations WHERE id = $1", [.int64(id)])).first
            else { return nil }
            record.steps = try Self.steps(of: id, connection)
            return record
        }
    }

    /// Records a completed step of generation `id` and that its runner is alive, if the claim
    /// `attempt` still holds it. A step recorded before keeps its first output.
    /// - Returns: false when the generation was reclaimed or finished: the caller lost its lease.
    @discardableResult
    public func recordGenerationStep(id: Int64, attempt: Int, key: String, step: GenerationRecord.Step) async throws(ProfileStoreError) -> Bool {
        let span = String(decoding: try Self.encodeSpan(step.span), as: UTF8.self)
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) -> Bool in
                let held = try connection.query(
                    "UPDATE generations SET heartbeat_at = now() WHERE id = $1 AND status = 'running' AND attempts = $2",
                    [.int64(id), .int32(Int32(attempt))])
                guard held.affectedRows == 1 else { return false }
                try connection.query(
                    "INSERT INTO generation_steps (generation_id, key, output, span) VALUES ($1, $2, $3::jsonb, $4::jsonb) ON CONFLICT DO NOTHING",
                    [.int64(id), .text(key), .text(step.outputJSON), .text(span)])
                return true
            }
        }
    }

    /// Says that generation `id`'s runner is alive, if the claim `attempt` still holds it.
    @discardableResult
    public func heartbeatGeneration(id: Int64, attempt: Int) async throws(ProfileStoreError) -> Bool {
        try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                "UPDATE generations SET heartbeat_at = now() WHERE id = $1 AND status = 'running' AND attempts = $2",
                [.int64(id), .int32(Int32(attempt))]
            ).affectedRows == 1
        }
    }

    /// Ends generation `id` as `status` (succeeded with its result, or failed with the step and
    /// the reason), if the claim `attempt` still holds it.
    @discardableResult
    public func finishGeneration(
        id: Int64, attempt: Int, status: GenerationRecord.Status, resultJSON: String? = nil, error: String? = nil, failedStep: String? = nil,
        traceID: Int64? = nil
    ) async throws(ProfileStoreError) -> Bool {
        guard status == .succeeded || status == .failed else { throw ProfileStoreError(.invalidInput, "a generation finishes as succeeded or failed") }
        return try await withTables { connection throws(ProfileStoreError) in
            try connection.query(
                """
                UPDATE generations SET status = $3, result = $4::jsonb, error = $5, failed_step = $6, trace_id = $7, finished_at = now()
                WHERE id = $1 AND status = 'running' AND attempts = $2
                """,
                [
                    .int64(id), .int32(Int32(attempt)), .text(status.rawValue), resultJSON.map { .text($0) } ?? .null, error.map { .text($0) } ?? .null,
                    failedStep.map { .text($0) } ?? .null, traceID.map { .int64($0) } ?? .null,
                ]
            ).affectedRows == 1
        }
    }

    private static func steps(of id: Int64, _ connection: PostgresConnection) throws(ProfileStoreError) -> [String: GenerationRecord.Step] {
        let rows = try connection.query("SELECT key, output::text, span::text FROM generation_steps WHERE generation_id = $1", [.int64(id)])
        var steps: [String: GenerationRecord.Step] = [:]
        for row in 0..<rows.rowCount {
            let span: GenerationSpan
            do { span = try spanDecoder.decode(GenerationSpan.self, from: Data(try rows.string(row, 2).utf8)) } catch {
                throw ProfileStoreError(.decoding, "generation \(id)'s step \(try rows.string(row, 0)) has a span that is not one: \(error)")
            }
            steps[try rows.string(row, 0)] = .init(outputJSON: try rows.string(row, 1), span: span)
        }
        return steps
    }

    static func encodeSpan(_ span: GenerationSpan) throws(ProfileStoreError) -> Data {
        do { return try spanEncoder.encode(span) } catch { throw ProfileStoreError(.invalidInput, "a span that cannot be encoded: \(error)") }
    }

    private static let spanEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    private static let spanDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    static func decodeGenerations(_ rows: QueryResult) throws(ProfileStoreError) -> [GenerationRecord] {
        try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in
            let status = try rows.string(row, 3)
            guard let parsed = GenerationRecord.Status(rawValue: status) else { throw ProfileStoreError(.decoding, "generation status \"\(status)\"") }
            func optionalDate(_ column: Int) throws(ProfileStoreError) -> Date? { rows.isNull(row, column) ? nil : try rows.date(row, column) }
            func optionalString(_ column: Int) throws(ProfileStoreError) -> String? { rows.isNull(row, column) ? nil : try rows.string(row, column) }
            return GenerationRecord(
                id: try rows.int64(row, 0), userID: try rows.int64(row, 1), requestJSON: try rows.string(row, 2), status: parsed,
                attempts: Int(try rows.int64(row, 4)), steps: [:], resultJSON: try optionalString(5), error: try optionalString(6),
                failedStep: try optionalString(7), traceID: rows.isNull(row, 8) ? nil : try rows.int64(row, 8), createdAt: try rows.date(row, 9),
                startedAt: try optionalDate(10), finishedAt: try optionalDate(11), heartbeatAt: try optionalDate(12))
        }
    }
}

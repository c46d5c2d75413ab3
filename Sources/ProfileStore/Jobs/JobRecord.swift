public import struct Foundation.Date

/// A queued unit of background work (a cohort rebuild, an embedding backfill) in the `jobs` table.
public struct JobRecord: Sendable, Equatable {
    /// Where a job stands.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case queued, running, succeeded, failed
        /// Cancelled before a runner started it.
        case cancelled
    }

    /// The job's id.
    public var id: Int64
    /// What to run, e.g. "cohorts.rebuild".
    public var kind: String
    /// Its parameters, a JSON object.
    public var payloadJSON: String
    /// Where it stands.
    public var status: Status
    /// Times a runner has started it.
    public var attempts: Int
    /// Its latest progress, a JSON object (`{}` before it starts).
    public var progressJSON: String
    /// Its result, a JSON object, once it succeeded.
    public var resultJSON: String?
    /// Why it failed, once it failed.
    public var error: String?
    /// When it was queued.
    public var createdAt: Date
    /// When a runner last started it.
    public var startedAt: Date?
    /// When it finished.
    public var finishedAt: Date?
    /// When its runner last said it was alive.
    public var heartbeatAt: Date?
}

extension ProfileStore {
    static let jobColumns = """
        id, kind, payload::text, status, attempts, progress::text, result::text, error, created_at, started_at, finished_at, heartbeat_at
        """

    static func decodeJobs(_ rows: QueryResult) throws(ProfileStoreError) -> [JobRecord] {
        try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in
            let status = try rows.string(row, 3)
            guard let parsed = JobRecord.Status(rawValue: status) else {
                throw ProfileStoreError(.decoding, "job status \"\(status)\"")
            }
            func optionalDate(_ column: Int) throws(ProfileStoreError) -> Date? { rows.isNull(row, column) ? nil : try rows.date(row, column) }
            func optionalString(_ column: Int) throws(ProfileStoreError) -> String? { rows.isNull(row, column) ? nil : try rows.string(row, column) }
            return JobRecord(
                id: try rows.int64(row, 0), kind: try rows.string(row, 1), payloadJSON: try rows.string(row, 2), status: parsed,
                attempts: Int(try rows.int64(row, 4)), progressJSON: try rows.string(row, 5), resultJSON: try optionalString(6),
                error: try optionalString(7), createdAt: try rows.date(row, 8), startedAt: try optionalDate(9),
                finishedAt: try optionalDate(10), heartbeatAt: try optionalDate(11)
            )
        }
    }
}

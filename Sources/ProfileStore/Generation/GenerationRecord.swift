public import struct Foundation.Date

/// A generation submitted as a job (`generations`): its request, where it stands, and what
/// each completed step produced, so that a retried job resumes after the last completed step.
public struct GenerationRecord: Sendable, Equatable {
    /// Where a generation job stands.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case queued, running, succeeded, failed
    }

    /// One completed step: its output (JSON) and its span.
    public struct Step: Sendable, Equatable {
        public var outputJSON: String
        public var span: GenerationSpan

        public init(outputJSON: String, span: GenerationSpan) {
            self.outputJSON = outputJSON
            self.span = span
        }
    }

    public var id: Int64
    public var userID: Int64
    /// The generation's request, a JSON object.
    public var requestJSON: String
    public var status: Status
    /// Times a runner has started it; the claim's fencing token.
    public var attempts: Int
    /// The completed steps by key (`research`, `strategy`, `write.1`, `review.1`, …, `schedule`).
    public var steps: [String: Step]
    /// The ranked variants, a JSON object, once it succeeded.
    public var resultJSON: String?
    /// Why it failed, and in which step, once it failed.
    public var error: String?
    public var failedStep: String?
    /// Its trace, once it finished.
    public var traceID: Int64?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var heartbeatAt: Date?
}

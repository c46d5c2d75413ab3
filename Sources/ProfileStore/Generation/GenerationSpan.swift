public import struct Foundation.Date

/// One step of a generation as its trace records it: which step, how it ended, when it
/// started, how long it took, and a short summary of what went in and came out.
public struct GenerationSpan: Codable, Sendable, Equatable {
    /// How a step ended.
    public enum Status: String, Codable, Sendable {
        case ok, error
    }

    /// The step: `research`, `strategy`, `write`, `review` or `schedule`.
    public var name: String
    /// The variant the step worked on (`write`, `review`), counted from 1; nil for the shared steps.
    public var variant: Int?
    /// The job's attempt that ran the step (1 unless a job was retried).
    public var attempt: Int
    public var status: Status
    public var startedAt: Date
    public var durationMilliseconds: Double
    /// What the step was given and what it produced, in a line each.
    public var input: String
    public var output: String
    /// Why it failed, when it did.
    public var error: String?

    /// A span.
    public init(
        name: String, variant: Int? = nil, attempt: Int = 1, status: Status, startedAt: Date, durationMilliseconds: Double, input: String = "",
        output: String = "", error: String? = nil
    ) {
        self.name = name
        self.variant = variant
        self.attempt = attempt
        self.status = status
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.input = input
        self.output = output
        self.error = error
    }
}

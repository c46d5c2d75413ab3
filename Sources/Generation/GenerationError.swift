/// Why a generation could not run or did not finish, and in which step.
public struct GenerationError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// A request the pipeline cannot serve (variants out of range, a blank brief, an unknown time zone).
        public static let invalidInput = Code("invalidInput")
        /// The creator is not stored, or has no embedding yet.
        public static let unknownUser = Code("unknownUser")
        /// A step failed: the engine, the provider (after its retries) or a check.
        public static let stepFailed = Code("stepFailed")
        /// The store failed, or the job's claim was lost: the job is left for another runner.
        public static let store = Code("store")
        /// The caller went away.
        public static let cancelled = Code("cancelled")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The step that failed (`research`, `strategy`, `write.2`, …), when one did.
    public var step: String?
    /// The error underneath, when another layer failed (the engine's, the gate's): the service answers with its status.
    public var cause: (any Error & Sendable)?

    /// An error.
    public init(_ code: Code, _ message: String, step: String? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.step = step
        self.cause = cause
    }

    public var description: String { step.map { "\($0): \(message)" } ?? message }
}

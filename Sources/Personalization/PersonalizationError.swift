internal import Embedding
internal import ProfileStore
internal import VectorIndex
internal import VectorMath

/// An error of the personalization engine: bad input at its edge, a state that does
/// not allow the request, or a failure of the store, the embedder or the index underneath.
public struct PersonalizationError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// No user has this id.
        public static let unknownUser = Code("unknownUser")
        /// No cohort (or cohort run) has this id.
        public static let unknownCohort = Code("unknownCohort")
        /// A parameter out of range (k ≤ 0, nprobe ≤ 0, a budget too small, …).
        public static let invalidInput = Code("invalidInput")
        /// The request needs creators or a cohort run the store does not have yet.
        public static let notReady = Code("notReady")
        /// The creator has no embedding, and the request may not compute one.
        public static let notEmbedded = Code("notEmbedded")
        /// Another cohort rebuild is running.
        public static let rebuildInProgress = Code("rebuildInProgress")
        /// The store failed; `underlying` says how.
        public static let store = Code("store")
        /// The embedder failed.
        public static let embedding = Code("embedding")
        /// The numeric core failed (k-means, PCA, the index).
        public static let computation = Code("computation")
        /// The engine's snapshot could not be written.
        public static let snapshot = Code("snapshot")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The error underneath, when another module threw it.
    public var underlying: (any Error & Sendable)?
    /// The file that threw it.
    public var file: String
    /// The line that threw it.
    public var line: Int

    /// Creates an error; `file` and `line` default to the throwing site.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { message }

    static func store(_ error: ProfileStoreError, file: String = #fileID, line: Int = #line) -> PersonalizationError {
        PersonalizationError(error.code == .invalidInput ? .invalidInput : .store, error.message, underlying: error, file: file, line: line)
    }

    static func embedding(_ error: EmbeddingError, file: String = #fileID, line: Int = #line) -> PersonalizationError {
        PersonalizationError(.embedding, "embedding failed: \(error.message)", underlying: error, file: file, line: line)
    }

    static func computation(_ error: VectorMathError, file: String = #fileID, line: Int = #line) -> PersonalizationError {
        PersonalizationError(.computation, error.message, underlying: error, file: file, line: line)
    }

    static func index(_ error: VectorIndexError, file: String = #fileID, line: Int = #line) -> PersonalizationError {
        PersonalizationError(.computation, error.message, underlying: error, file: file, line: line)
    }
}

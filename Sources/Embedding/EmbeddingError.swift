/// An error from an embedder: bad input, or a provider that failed or answered wrongly.
public struct EmbeddingError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A configuration the embedder cannot work with (dimensions, model, a missing key).
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A provider returned vectors of the wrong dimension, NaN, or zero vectors.
        public static let invalidVector = Code("invalidVector")
        /// The provider answered with an HTTP error (its message is included); `status` holds the code.
        public static let provider = Code("provider")
        /// The provider could not be reached, or did not answer in time.
        public static let transport = Code("transport")
        /// The provider's answer is not the JSON its API describes.
        public static let invalidResponse = Code("invalidResponse")
        /// The work was cancelled.
        public static let cancelled = Code("cancelled")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The HTTP status, for `.provider` errors.
    public var status: Int?
    /// The file that threw it.
    public var file: String
    /// The line that threw it.
    public var line: Int

    /// Creates an error; `file` and `line` default to the throwing site.
    public init(_ code: Code, _ message: String, status: Int? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.status = status
        self.file = file
        self.line = line
    }

    public var description: String { message }
}

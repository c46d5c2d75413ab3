/// An error of the writer agent: bad input, or a provider that failed.
public struct WriterError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A request the writer cannot serve (an unknown platform, an empty prompt).
        public static let invalidInput = Code("invalidInput")
        /// The provider is not configured (no API key, a bad base URL).
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The provider answered with an HTTP error or an error event; `status` tells which.
        public static let provider = Code("provider")
        /// The provider could not be reached, or the connection broke.
        public static let transport = Code("transport")
        /// The provider sent something that is not its API's wire format.
        public static let invalidResponse = Code("invalidResponse")
        /// The stream ended before the provider said it was done: the text is incomplete.
        public static let incomplete = Code("incomplete")
        /// The consumer went away.
        public static let cancelled = Code("cancelled")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, naming the provider.
    public var message: String
    /// The HTTP status, when the provider sent one.
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

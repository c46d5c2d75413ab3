public import VectorMath

/// An error from the vector index: bad input at its edge, or a bad snapshot.
public struct VectorIndexError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A vector of the wrong dimension.
        public static let dimensionMismatch = Code("dimensionMismatch")
        /// A vector with NaN or ±∞, or of norm zero.
        public static let invalidVector = Code("invalidVector")
        /// k ≤ 0, or k larger than the rows that can be returned.
        public static let invalidK = Code("invalidK")
        /// A search of an index with no rows.
        public static let emptyIndex = Code("emptyIndex")
        /// An id the index does not hold, or one it cannot hold.
        public static let unknownID = Code("unknownID")
        /// A snapshot that is truncated, corrupt, or of another format or dimension.
        public static let corruptSnapshot = Code("corruptSnapshot")
        /// A snapshot file that cannot be read or written.
        public static let io = Code("io")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The numeric-core error behind this one, if any.
    public var underlying: VectorMathError?
    /// The file that threw it.
    public var file: String
    /// The line that threw it.
    public var line: Int

    /// Creates an error; `file` and `line` default to the throwing site.
    public init(_ code: Code, _ message: String, underlying: VectorMathError? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { message }
}

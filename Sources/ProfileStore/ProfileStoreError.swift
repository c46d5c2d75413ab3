/// An error from the profile store: the server, libpq, the schema, or bad input at its edge.
public struct ProfileStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The server cannot be reached, or refused the connection (down, wrong password, no such database).
        public static let connectionFailed = Code("connectionFailed")
        /// The connection broke while a statement ran; the statement's transaction did not commit.
        public static let connectionLost = Code("connectionLost")
        /// The server rejected a statement; `sqlState` says why.
        public static let queryFailed = Code("queryFailed")
        /// The pgvector extension is not installed on the server.
        public static let pgvectorMissing = Code("pgvectorMissing")
        /// The database holds vectors of another dimension than the one configured.
        public static let dimensionMismatch = Code("dimensionMismatch")
        /// The database's schema is newer than this build knows.
        public static let schemaTooNew = Code("schemaTooNew")
        /// A value from the server that cannot be decoded as the expected type.
        public static let decoding = Code("decoding")
        /// Every connection of the pool stayed busy for the checkout timeout.
        public static let poolExhausted = Code("poolExhausted")
        /// The calling task was cancelled while it waited.
        public static let cancelled = Code("cancelled")
        /// The store's schema holds no tables yet: it was never migrated.
        public static let schemaNotMigrated = Code("schemaNotMigrated")
        /// Input rejected before anything was written: a malformed line, a duplicate id, an unknown user.
        public static let invalidInput = Code("invalidInput")
        /// A row the input names belongs to another owner (a post id of another creator): nothing was written.
        public static let ownedElsewhere = Code("ownedElsewhere")
        /// The embedded server could not be found, started, stopped or inspected.
        public static let embeddedServer = Code("embeddedServer")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The server's SQLSTATE, when the server reported the error.
    public var sqlState: String?
    /// The file that threw it.
    public var file: String
    /// The line that threw it.
    public var line: Int

    /// Creates an error; `file` and `line` default to the throwing site.
    public init(_ code: Code, _ message: String, sqlState: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.file = file
        self.line = line
    }

    public var description: String { message }
}

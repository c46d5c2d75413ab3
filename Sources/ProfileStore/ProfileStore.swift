public import Logging
internal import Synchronization

/// PostgreSQL + pgvector as the system of record: users, posts, profile embeddings,
/// cohorts and jobs, reached through a pool of libpq connections.
///
/// The store lives in one schema of one database. Its vectors have a fixed
/// dimension, recorded by the first migration and checked on every `connect`.
/// Every method that reads or writes the store's tables first makes sure the schema is
/// migrated: `search_path` is `"schema", public` (for pgvector's types), so in a schema
/// without the tables an unqualified name would otherwise reach another store in `public`.
public struct ProfileStore: Sendable {
    /// Where the store lives and what it holds.
    public struct Configuration: Sendable {
        /// A libpq connection string or `postgresql://` URI.
        public var connectionString: String
        /// The schema holding the store's tables. Default `public`.
        public var schema: String
        /// The embeddings' dimension, fixed per database. Default 1536.
        public var dimensions: Int
        /// The most connections open at once. Default 4.
        public var maximumConnections: Int

        /// A configuration with the defaults above.
        public init(connectionString: String, schema: String = "public", dimensions: Int = 1536, maximumConnections: Int = 4) {
            self.connectionString = connectionString
            self.schema = schema
            self.dimensions = dimensions
            self.maximumConnections = maximumConnections
        }
    }

    /// pgvector's largest `vector` dimension.
    public static let maximumDimensions = 16_000

    /// The configuration the store was opened with.
    public let configuration: Configuration
    /// The store's connections, for statements of the caller's own.
    public let pool: ConnectionPool

    /// Whether the schema is known to be migrated (checked once, then remembered).
    let migrated = MigrationFlag()

    /// The schema's name quoted as an SQL identifier (it is validated to need no escaping).
    var quotedSchema: String { "\"\(configuration.schema)\"" }

    /// Schemas PostgreSQL keeps for itself: never a place for the store.
    static func isSystemSchema(_ name: String) -> Bool {
        name == "information_schema" || name.hasPrefix("pg_")
    }

    /// Opens a pool and checks the server: pgvector is available, and if the schema
    /// is already migrated, its dimension is `configuration.dimensions` and its
    /// version one this build knows.
    /// Server notices and reconnects go to `logger`.
    public static func connect(_ configuration: Configuration, logger: Logger = ConnectionPool.silentLogger) async throws(ProfileStoreError) -> ProfileStore {
        guard configuration.schema.wholeMatch(of: /[a-z_][a-z0-9_]{0,62}/) != nil else {
            throw ProfileStoreError(.invalidInput, "schema name \"\(configuration.schema)\" must be lower-case letters, digits and _")
        }
        guard !isSystemSchema(configuration.schema) else {
            throw ProfileStoreError(.invalidInput, "schema \(configuration.schema) belongs to PostgreSQL itself; choose another (e.g. onering)")
        }
        guard (1...maximumDimensions).contains(configuration.dimensions) else {
            throw ProfileStoreError(.invalidInput, "dimensions must be in 1...\(maximumDimensions), not \(configuration.dimensions)")
        }
        let searchPath = configuration.schema == "public" ? "public" : "\"\(configuration.schema)\", public"
        let pool = ConnectionPool(
            configuration: .init(
                connectionString: configuration.connectionString,
                maximumConnections: configuration.maximumConnections,
                searchPath: searchPath
            ), logger: logger)
        let store = ProfileStore(configuration: configuration, pool: pool)
        try await pool.withConnection { connection throws(ProfileStoreError) in
            try store.checkCompatibility(connection)
        }
        return store
    }

    /// The schema version applied (0 for an empty schema).
    public func schemaVersion() async throws(ProfileStoreError) -> Int {
        try await pool.withConnection { connection throws(ProfileStoreError) in
            try appliedVersions(connection).max() ?? 0
        }
    }

    /// Checks pgvector, the recorded dimension and the schema version.
    func checkCompatibility(_ connection: PostgresConnection) throws(ProfileStoreError) {
        // Names are qualified: `public` is on the search path (for pgvector's types) and may hold another store.
        let probe = try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector'),
                   to_regclass($1) IS NOT NULL
            """, [.text("\(quotedSchema).store_settings")])
        guard try probe.bool(0, 0) else {
            throw ProfileStoreError(.pgvectorMissing, "the PostgreSQL server has no pgvector extension (install pgvector ≥ 0.7, or use the embedded server)")
        }
        guard try probe.bool(0, 1) else { return }
        let known = Migration.all.last!.version
        if let applied = try appliedVersions(connection).max(), applied > known {
            throw ProfileStoreError(.schemaTooNew, "schema \(configuration.schema) is at version \(applied); this build knows up to \(known)")
        }
        let stored = try connection.query("SELECT value FROM \(quotedSchema).store_settings WHERE name = 'dimensions'")
        guard stored.rowCount == 1, let dimensions = Int(try stored.string(0, 0)) else {
            throw ProfileStoreError(.decoding, "store_settings has no dimensions")
        }
        guard dimensions == configuration.dimensions else {
            throw ProfileStoreError(
                .dimensionMismatch, "the database holds \(dimensions)-dimensional embeddings; this engine is configured for \(configuration.dimensions)")
        }
    }

    /// Runs `body` on a connection once the schema is known to hold the store's tables.
    ///
    /// - Throws: `.schemaNotMigrated` when it does not (nothing is run).
    func withTables<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws(ProfileStoreError) -> Value
    ) async throws(ProfileStoreError) -> Value {
        let known = migrated.isSet
        let table = "\(quotedSchema).store_settings"
        let schema = configuration.schema
        return try await pool.withConnection { [migrated] connection throws(ProfileStoreError) in
            if !known {
                guard try connection.query("SELECT to_regclass($1) IS NOT NULL", [.text(table)]).bool(0, 0) else {
                    throw ProfileStoreError(.schemaNotMigrated, "schema \(schema) holds no OneRing tables: run `onering db migrate --schema \(schema)` first")
                }
                migrated.set()
            }
            return try body(connection)
        }
    }

    func appliedVersions(_ connection: PostgresConnection) throws(ProfileStoreError) -> [Int] {
        let table = "\(quotedSchema).schema_migrations"
        guard try connection.query("SELECT to_regclass($1) IS NOT NULL", [.text(table)]).bool(0, 0) else { return [] }
        let rows = try connection.query("SELECT version FROM \(table) ORDER BY version")
        return try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in Int(try rows.int64(row, 0)) }
    }
}

/// A flag that is set once and read often, shared by the copies of a ``ProfileStore``.
final class MigrationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}

extension ProfileStore {
    /// Brings the schema to the newest version: creates the schema and the pgvector
    /// extension if needed, then applies each missing migration in its own
    /// transaction. Safe to run again, and from several processes at once (an
    /// advisory lock lets one migrate while the others wait). Returns what it applied.
    @discardableResult
    public func migrate() async throws(ProfileStoreError) -> [Migration] {
        try await pool.withConnection { connection throws(ProfileStoreError) in
            try connection.transaction { () throws(ProfileStoreError) in
                try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("onering.migrate")])
                try connection.execute("CREATE SCHEMA IF NOT EXISTS \(quotedSchema)")
                do throws(ProfileStoreError) {
                    try connection.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
                } catch {
                    guard error.sqlState == "0A000" || error.sqlState == "58P01" else { throw error }
                    throw ProfileStoreError(.pgvectorMissing, "the PostgreSQL server has no pgvector extension: \(error.message)")
                }
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS \(quotedSchema).schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
            }
            var applied: [Migration] = []
            for migration in Migration.all {
                let done = try connection.transaction { () throws(ProfileStoreError) -> Bool in
                    try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("onering.migrate")])
                    let recorded = try connection.query(
                        "SELECT 1 FROM \(quotedSchema).schema_migrations WHERE version = $1", [.int32(Int32(migration.version))])
                    guard recorded.rowCount == 0 else { return true }
                    try connection.execute(migration.sql(configuration.dimensions))
                    try connection.query(
                        "INSERT INTO \(quotedSchema).schema_migrations (version, name) VALUES ($1, $2)",
                        [.int32(Int32(migration.version)), .text(migration.name)]
                    )
                    return false
                }
                if !done { applied.append(migration) }
            }
            try checkCompatibility(connection)
            migrated.set()
            return applied
        }
    }

    /// Creates the HNSW index (cosine distance) on the embeddings if it does not exist,
    /// for pgvector's approximate `ORDER BY embedding <=> $1` queries.
    /// `m` and `efConstruction` are pgvector's build parameters (defaults 16 and 64).
    public func createVectorIndex(m: Int = 16, efConstruction: Int = 64) async throws(ProfileStoreError) {
        guard (2...100).contains(m), (4...1000).contains(efConstruction), efConstruction >= 2 * m else {
            throw ProfileStoreError(.invalidInput, "HNSW needs 2 ≤ m ≤ 100 and 2·m ≤ ef_construction ≤ 1000")
        }
        try await withTables { connection throws(ProfileStoreError) in
            // Building the graph can take minutes on millions of rows: no statement timeout for it.
            try connection.execute(
                """
                SET statement_timeout = 0;
                CREATE INDEX IF NOT EXISTS profile_embeddings_hnsw ON profile_embeddings
                USING hnsw (embedding vector_cosine_ops) WITH (m = \(m), ef_construction = \(efConstruction))
                """)
        }
    }
}

extension ProfileStore {
    /// Drops the store's schema and everything in it (benchmarks and tests use schemas of their own).
    /// Refuses `public`, which holds the pgvector extension and may hold other data.
    public func dropSchema() async throws(ProfileStoreError) {
        guard configuration.schema != "public" else {
            throw ProfileStoreError(.invalidInput, "refusing to drop the public schema")
        }
        try await pool.withConnection { connection throws(ProfileStoreError) in
            try connection.execute("DROP SCHEMA IF EXISTS \(quotedSchema) CASCADE")
        }
    }
}

extension ProfileStore {
    /// Marks the store's schema as made for `purpose` (its comment), so that only a schema
    /// so marked is ever dropped by ``dropSchema(ifMarked:)``.
    public func mark(_ purpose: String) async throws(ProfileStoreError) {
        try await pool.withConnection { [quotedSchema] connection throws(ProfileStoreError) in
            // COMMENT takes no parameters: quote the literal ourselves.
            try connection.execute("COMMENT ON SCHEMA \(quotedSchema) IS '\(purpose.replacingOccurrences(of: "'", with: "''"))'")
        }
    }

    /// Drops the store's schema if it carries the mark `purpose`; does nothing if it does not exist.
    ///
    /// - Throws: `.invalidInput` when the schema exists without that mark: it was not made for
    ///   this purpose (a user's data, say), and nothing is dropped.
    public func dropSchema(ifMarked purpose: String) async throws(ProfileStoreError) {
        let schema = configuration.schema
        let comment = try await pool.withConnection { connection throws(ProfileStoreError) -> String?? in
            let rows = try connection.query("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1", [.text(schema)])
            guard rows.rowCount == 1 else { return .none }
            return .some(rows.isNull(0, 0) ? nil : try rows.string(0, 0))
        }
        guard let comment else { return }
        guard comment == purpose else {
            throw ProfileStoreError(
                .invalidInput,
                "schema \(schema) exists and was not made by \(purpose) (its comment is \(comment.map { "\"\($0)\"" } ?? "empty")); refusing to drop it: choose another --schema"
            )
        }
        try await dropSchema()
    }
}

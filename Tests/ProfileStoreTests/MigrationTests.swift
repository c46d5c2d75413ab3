import ProfileStore
import Testing
import _TestSupport

@Suite("Migrations")
struct MigrationTests {
    @Test("a fresh schema migrates to the newest version; a second run applies nothing")
    func idempotent() async throws {
        try await TestDatabase.withStore(dimensions: 16) { store in
            #expect(try await store.schemaVersion() == Migration.all.last!.version)
            #expect(try await store.migrate().isEmpty)
            let tables = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                let rows = try connection.query(
                    """
                    SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)
                    """,
                    [
                        .text(store.configuration.schema),
                        .textArray(["users", "posts", "profile_embeddings", "cohort_runs", "cohorts", "cohort_members", "jobs"]),
                    ])
                return try rows.int64(0, 0)
            }
            #expect(tables == 7)
        }
    }

    @Test("embeddings are stored PLAIN, out of TOAST, at the configured dimension")
    func vectorColumn() async throws {
        try await TestDatabase.withStore(dimensions: 16) { store in
            let (storage, type) = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                let rows = try connection.query(
                    """
                    SELECT attstorage::text, format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = 'profile_embeddings'::regclass AND attname = 'embedding'
                    """)
                return (try rows.string(0, 0), try rows.string(0, 1))
            }
            #expect(storage == "p")
            #expect(type == "vector(16)")
        }
    }

    @Test("connecting with another dimension than the database's is refused")
    func dimensionMismatch() async throws {
        try await TestDatabase.withStore(dimensions: 16) { store in
            var other = store.configuration
            other.dimensions = 32
            let error = await #expect(throws: ProfileStoreError.self) { try await ProfileStore.connect(other) }
            #expect(error?.code == .dimensionMismatch)
        }
    }

    @Test("migrations from several connections at once apply once")
    func concurrentMigrations() async throws {
        try await TestDatabase.withStore { store in
            var fresh = store.configuration
            fresh.schema = store.configuration.schema + "_b"
            let first = try await ProfileStore.connect(fresh)
            let second = try await ProfileStore.connect(fresh)
            async let a = first.migrate()
            async let b = second.migrate()
            let applied = try await a.count + b.count
            #expect(applied == Migration.all.count)
            try await first.dropSchema()
        }
    }

    @Test("the HNSW index is created once, with cosine operators")
    func vectorIndex() async throws {
        try await TestDatabase.withStore(dimensions: 16) { store in
            try await store.createVectorIndex()
            try await store.createVectorIndex()
            let definition = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'profile_embeddings_hnsw'",
                    [.text(store.configuration.schema)]
                ).string(0, 0)
            }
            #expect(definition.contains("hnsw") && definition.contains("vector_cosine_ops"))
            await #expect(throws: ProfileStoreError.self) { try await store.createVectorIndex(m: 1) }
        }
    }

    @Test("a server that cannot be reached gives a connection error")
    func unreachable() async throws {
        let error = await #expect(throws: ProfileStoreError.self) {
            try await ProfileStore.connect(.init(connectionString: "host=127.0.0.1 port=1 user=nobody dbname=none connect_timeout=2"))
        }
        #expect(error?.code == .connectionFailed)
    }

    @Test("PostgreSQL's own schemas are refused", arguments: ["information_schema", "pg_catalog", "pg_toast", "pg_anything"])
    func systemSchemas(schema: String) async throws {
        let error = await #expect(throws: ProfileStoreError.self) {
            try await ProfileStore.connect(.init(connectionString: try TestDatabase.connectionString(), schema: schema, dimensions: 8))
        }
        #expect(error?.code == .invalidInput && error?.message.contains("PostgreSQL itself") == true)
    }

    @Test("a schema that was never migrated is refused before anything is written")
    func unmigratedSchema() async throws {
        let schema = "unmigrated_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let store = try await ProfileStore.connect(.init(connectionString: try TestDatabase.connectionString(), schema: schema, dimensions: 8))
        let error = await #expect(throws: ProfileStoreError.self) {
            try await store.importUsers([Numbered(line: 1, record: UserRecord(id: 1, handle: "a", name: "A"))])
        }
        #expect(error?.code == .schemaNotMigrated && error?.message.contains("onering db migrate --schema \(schema)") == true)
        await #expect(throws: ProfileStoreError.self) { try await store.embeddings() }
        try await store.migrate()
        #expect(try await store.importUsers([Numbered(line: 1, record: UserRecord(id: 1, handle: "a", name: "A"))]).inserted == 1)
        try await store.dropSchema()
    }

    @Test("a benchmark drops only a schema it made and marked")
    func markedSchemas() async throws {
        try await TestDatabase.withStore(dimensions: 8) { store in
            _ = try await store.importUsers([Numbered(line: 1, record: UserRecord(id: 1, handle: "a", name: "A"))])
            let error = await #expect(throws: ProfileStoreError.self) { try await store.dropSchema(ifMarked: "onering benchmark") }
            #expect(error?.code == .invalidInput)
            #expect(try await store.schemaVersion() == Migration.all.last!.version, "the unmarked schema is still there")
            try await store.mark("onering benchmark")
            try await store.dropSchema(ifMarked: "onering benchmark")
            #expect(try await store.schemaVersion() == 0)
            try await store.dropSchema(ifMarked: "onering benchmark")  // gone already: nothing to do
        }
    }
}

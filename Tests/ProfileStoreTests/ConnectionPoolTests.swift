import ProfileStore
import Testing
import _TestSupport

@Suite("Connection pool")
struct ConnectionPoolTests {
    @Test("never opens more than its bound, and serves every caller")
    func bounded() async throws {
        let store = try await TestDatabase.store(maximumConnections: 2)
        let tag = "pool-\(store.configuration.schema)"
        let sessions = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await store.pool.withConnection { connection throws(ProfileStoreError) in
                        try connection.query("SELECT set_config('application_name', $1, false)", [.text(tag)])
                        try connection.query("SELECT pg_sleep(0.02)")
                        return try connection.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", [.text(tag)]
                        ).int64(0, 0)
                    }
                }
            }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(sessions.count == 12)
        #expect(sessions.allSatisfy { $0 >= 1 && $0 <= 2 })
        try await store.dropSchema()
    }

    @Test("a transaction that throws is rolled back and the connection stays usable")
    func rollback() async throws {
        let store = try await TestDatabase.store(maximumConnections: 1)
        await #expect(throws: ProfileStoreError.self) {
            try await store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.transaction { () throws(ProfileStoreError) in
                    try connection.query("INSERT INTO users (id, handle, display_name) VALUES (1, 'a', 'A')")
                    try connection.query("SELECT 1/0")
                }
            }
        }
        let count = try await store.pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT count(*) FROM users").int64(0, 0) }
        #expect(count == 0)
        try await store.dropSchema()
    }

    @Test("a statement error reports the server's SQLSTATE")
    func sqlState() async throws {
        let store = try await TestDatabase.store()
        let error = await #expect(throws: ProfileStoreError.self) {
            try await store.pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT * FROM no_such_table").rowCount }
        }
        #expect(error?.code == .queryFailed && error?.sqlState == "42P01")
        try await store.dropSchema()
    }

    @Test("a connection killed mid-query reports the loss, and the pool reconnects by itself")
    func killedMidQuery() async throws {
        let store = try await TestDatabase.store(maximumConnections: 2)
        let tag = "victim-\(store.configuration.schema)"
        async let victim: Void = store.pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT set_config('application_name', $1, false)", [.text(tag)])
            try connection.query("SELECT pg_sleep(30)")
        }
        let killer = try await ProfileStore.connect(.init(connectionString: store.configuration.connectionString))
        var killed = false
        for _ in 0..<200 where !killed {
            killed = try await killer.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'", [.text(tag)]
                ).rowCount > 0
            }
            if !killed { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(killed)
        do {
            try await victim
            Issue.record("the killed query returned")
        } catch let error as ProfileStoreError {
            #expect(error.code == .connectionLost, "\(error.message)")
        }
        for _ in 0..<3 {
            let one = try await store.pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").int64(0, 0) }
            #expect(one == 1)
        }
        try await store.dropSchema()
    }
}

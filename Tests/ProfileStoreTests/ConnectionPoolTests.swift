import Foundation
import ProfileStore
import Synchronization
import Testing
import _TestSupport

@Suite("Connection pool")
struct ConnectionPoolTests {
    @Test("never opens more than its bound, and serves every caller")
    func bounded() async throws {
        // The bound is the subject, not the checkout timeout (tested below): a connection goes back
        // to the pool when its task resumes, and with the whole suite on two cores the cooperative
        // threads have been busy for over ten seconds at a time.
        let pool = ConnectionPool(
            configuration: .init(connectionString: try TestDatabase.connectionString(), maximumConnections: 2, checkoutTimeout: .seconds(120)))
        let tag = "pool-\(UUID().uuidString)"
        let sessions = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await pool.withConnection { connection throws(ProfileStoreError) in
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
    }

    @Test("a transaction that throws is rolled back and the connection stays usable")
    func rollback() async throws {
        try await TestDatabase.withStore(maximumConnections: 1) { store in
            await #expect(throws: ProfileStoreError.self) {
                try await store.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.transaction { () throws(ProfileStoreError) in
                        try connection.query("INSERT INTO users (id, handle, display_name) VALUES (1, 'a', 'A')")
                        try connection.query("SELECT 1/0")
                    }
                }
            }
            let count = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query("SELECT count(*) FROM users").int64(0, 0)
            }
            #expect(count == 0)
        }
    }

    @Test("a statement error reports the server's SQLSTATE")
    func sqlState() async throws {
        try await TestDatabase.withStore { store in
            let error = await #expect(throws: ProfileStoreError.self) {
                try await store.pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT * FROM no_such_table").rowCount }
            }
            #expect(error?.code == .queryFailed && error?.sqlState == "42P01")
        }
    }

    @Test("a connection killed mid-query reports the loss, and the pool reconnects by itself")
    func killedMidQuery() async throws {
        try await TestDatabase.withStore(maximumConnections: 2) { store in
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
        }
    }

    @Test("a prepared statement is prepared once per connection, and again on a connection reopened after the server dropped it")
    func preparedStatements() async throws {
        let pool = try Self.pool()
        let killer = try Self.pool()
        let statement = "SELECT $1::bigint + 1"
        func run(_ value: Int64) async throws -> (sum: Int64, prepared: Int64, pid: Int64) {
            try await pool.withConnection { connection throws(ProfileStoreError) in
                let sum = try connection.query(statement, [.int64(value)], prepared: true).int64(0, 0)
                let prepared = try connection.query("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", [.text(statement)]).int64(0, 0)
                return (sum, prepared, try connection.query("SELECT pg_backend_pid()").int64(0, 0))
            }
        }
        let first = try await run(1), second = try await run(41)
        #expect(first.sum == 2 && second.sum == 42)
        #expect(first.prepared == 1 && second.prepared == 1, "prepared once, then only executed")
        // The server drops the connection: the pool reopens it, and the statement is prepared anew.
        try await killer.withConnection { connection throws(ProfileStoreError) in
            _ = try connection.query("SELECT pg_terminate_backend($1::int)", [.int64(first.pid)])
        }
        try await Task.sleep(for: .milliseconds(200))
        let third = try await run(99)
        #expect(third.pid != first.pid && third.sum == 100 && third.prepared == 1)
    }

    /// A pool of one connection to the test database.
    static func pool(checkoutTimeout: Duration = .seconds(10), statementTimeout: Duration = .seconds(120)) throws -> ConnectionPool {
        ConnectionPool(
            configuration: .init(
                connectionString: try TestDatabase.connectionString(), maximumConnections: 1,
                checkoutTimeout: checkoutTimeout, statementTimeout: statementTimeout))
    }

    /// Holds the pool's only connection until `release` is signalled; returns once it holds it.
    static func hold(_ pool: ConnectionPool, until release: DispatchSemaphore) async throws -> Task<Void, any Error> {
        let holding = Atomic<Bool>(false)
        let task = Task {
            try await pool.withConnection { connection throws(ProfileStoreError) in
                _ = try connection.query("SELECT 1")
                holding.store(true, ordering: .releasing)
                release.wait()
            }
        }
        while !holding.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
        return task
    }

    @Test("a caller waits at most the checkout timeout for a busy pool")
    func checkoutTimeout() async throws {
        let pool = try Self.pool(checkoutTimeout: .milliseconds(200))
        let release = DispatchSemaphore(value: 0)
        let holder = try await Self.hold(pool, until: release)
        let error = await #expect(throws: ProfileStoreError.self) {
            try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").rowCount }
        }
        #expect(error?.code == .poolExhausted)
        release.signal()
        try await holder.value
        #expect(try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").int64(0, 0) } == 1)
    }

    @Test("a cancelled waiter leaves the queue; the pool serves the next caller")
    func cancelledWaiter() async throws {
        let pool = try Self.pool()
        let release = DispatchSemaphore(value: 0)
        let holder = try await Self.hold(pool, until: release)
        let waiter = Task { try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").rowCount } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let outcome = await waiter.result
        #expect((try? outcome.get()) == nil)
        if case .failure(let error as ProfileStoreError) = outcome { #expect(error.code == .cancelled) }
        release.signal()
        try await holder.value
        // The single slot is free again: two callers in turn both get it.
        for _ in 0..<2 {
            #expect(try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").int64(0, 0) } == 1)
        }
    }

    @Test("a failed connect gives its slot back")
    func failedConnect() async throws {
        // Port 1 on loopback: refused at once.
        let pool = ConnectionPool(
            configuration: .init(connectionString: "host=127.0.0.1 port=1 user=x dbname=x", maximumConnections: 1, checkoutTimeout: .seconds(2)))
        for _ in 0..<3 {
            let error = await #expect(throws: ProfileStoreError.self) {
                try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").rowCount }
            }
            #expect(error?.code == .connectionFailed, "not .poolExhausted: the slot came back")
        }
    }

    // Without a connect timeout the call would wait forever: the time limit turns that into a failure.
    @Test("connecting to a server that never answers gives up after connect_timeout", .timeLimit(.minutes(1)))
    func connectTimeout() async throws {
        // A loopback socket that listens but never speaks: the TCP handshake completes in the kernel.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0 && listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        let pool = ConnectionPool(configuration: .init(connectionString: "host=127.0.0.1 port=\(port) user=x dbname=x", connectTimeoutSeconds: 2))
        let error = await #expect(throws: ProfileStoreError.self) {
            try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").rowCount }
        }
        #expect(error?.code == .connectionFailed && error?.message.contains("timeout") == true, "\(error?.message ?? "")")
    }

    @Test("a statement past the statement timeout is cancelled by the server")
    func statementTimeout() async throws {
        let pool = try Self.pool(statementTimeout: .milliseconds(300))
        let error = await #expect(throws: ProfileStoreError.self) {
            try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT pg_sleep(3)").rowCount }
        }
        #expect(error?.sqlState == "57014")
    }

    @Test("a connection comes back clean: no open transaction, no session setting")
    func cleanCheckIn() async throws {
        let pool = try Self.pool()
        let error = await #expect(throws: ProfileStoreError.self) {
            try await pool.withConnection { connection throws(ProfileStoreError) in
                try connection.execute("BEGIN; SET work_mem = '77MB'")
            }
        }
        #expect(error?.message.contains("left a transaction open") == true)
        try await pool.withConnection { connection throws(ProfileStoreError) in try connection.execute("SET work_mem = '77MB'") }
        let workMem = try await pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT current_setting('work_mem')").string(0, 0)
        }
        #expect(workMem != "77MB")
        // Outside a transaction block a SAVEPOINT is refused: the rolled-back transaction is gone.
        let savepoint = await #expect(throws: ProfileStoreError.self) {
            try await pool.withConnection { connection throws(ProfileStoreError) in try connection.execute("SAVEPOINT probe") }
        }
        #expect(savepoint?.sqlState == "25P01")
    }

    @Test("a checkout that ran only prepared statements costs no reset round trip; any other statement is followed by one")
    func resetOnlyWhenNeeded() async throws {
        let pool = try Self.pool()
        let watcher = try await ProfileStore.connect(.init(connectionString: try TestDatabase.connectionString()))
        let backend = try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT pg_backend_pid()").int64(0, 0) }
        /// The last statement the pool's connection sent, as the server saw it.
        func lastStatement() async throws -> String {
            try await watcher.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query("SELECT query FROM pg_stat_activity WHERE pid = $1", [.int64(backend)]).string(0, 0)
            }
        }
        #expect(try await lastStatement().hasPrefix("RESET ALL"))
        _ = try await pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT $1::bigint + 1 AS prepared_probe", [.int64(41)], prepared: true).int64(0, 0)
        }
        #expect(try await lastStatement().contains("prepared_probe"))
        try await pool.withConnection { connection throws(ProfileStoreError) in try connection.execute("SET work_mem = '77MB'") }
        #expect(try await lastStatement().hasPrefix("RESET ALL"))
        let workMem = try await pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT current_setting('work_mem')", prepared: true).string(0, 0)
        }
        #expect(workMem != "77MB")
    }

    @Test("server warnings and reconnects reach the logger")
    func logging() async throws {
        let handler = CapturingLogHandler()
        let tag = "logged_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let pool = ConnectionPool(
            configuration: .init(connectionString: try TestDatabase.connectionString() + " application_name=\(tag)", maximumConnections: 1),
            logger: handler.logger)
        try await pool.withConnection { connection throws(ProfileStoreError) in
            try connection.execute("DO $$ BEGIN RAISE WARNING 'careful: %', 42; END $$")
        }
        #expect(handler.messages.contains { $0.hasPrefix("warning: PostgreSQL: WARNING:  careful: 42") }, "\(handler.messages)")
        // The server drops the idle connection; the next checkout reconnects and says so.
        let killer = try await ProfileStore.connect(.init(connectionString: try TestDatabase.connectionString()))
        _ = try await killer.pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [.text(tag)]).rowCount
        }
        try await Task.sleep(for: .milliseconds(100))
        _ = try await pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").rowCount }
        #expect(handler.messages.contains { $0.contains("reconnected") }, "\(handler.messages)")
    }
}

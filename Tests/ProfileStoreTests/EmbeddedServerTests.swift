import Foundation
import ProfileStore
import Testing

@Suite("Embedded server", .serialized)
struct EmbeddedServerTests {
    /// A server of its own, in a fresh directory under /tmp (reachable by the server's user under root).
    static func makeServer() -> (EmbeddedServer, String) {
        let root = "/tmp/onering-test-\(UUID().uuidString.prefix(8))"
        let port = 55_000 + Int.random(in: 0..<5_000)
        let configuration = EmbeddedServer.Configuration(
            dataDirectory: root + "/postgres", port: port,
            binDirectory: ProcessInfo.processInfo.environment["ONERING_PG_BIN"]
        )
        return (EmbeddedServer(configuration: configuration), root)
    }

    @Test("start, status, a second start, stop; then the pool reconnects after a restart")
    func lifecycle() async throws {
        let (server, root) = Self.makeServer()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Runs first: the server this test started never outlives it, whatever failed.
        defer { _ = try? server.stop() }
        #expect(try server.status().running == false)

        let started = try await server.start()
        #expect(started.running && started.port == server.configuration.port)
        #expect(try server.status() == started)
        #expect(try await server.start() == started, "a second start finds the running server")

        let store = try await ProfileStore.connect(.init(connectionString: started.connectionString, dimensions: 4, maximumConnections: 1))
        try await store.migrate()
        _ = try await store.importUsers([Numbered(line: 1, record: UserRecord(id: 1, handle: "a", name: "A"))])

        #expect(try server.stop())
        #expect(try server.status().running == false)
        let down = await #expect(throws: ProfileStoreError.self) {
            try await store.pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT 1").rowCount }
        }
        #expect(down?.code == .connectionFailed || down?.code == .connectionLost)

        try await server.start()
        let users = try await store.pool.withConnection { connection throws(ProfileStoreError) in try connection.query("SELECT count(*) FROM users").int64(0, 0)
        }
        #expect(users == 1, "the pool reconnects by itself and committed rows survive the restart")

        #expect(try server.stop())
        #expect(try server.stop() == false)
    }

    @Test("a missing PostgreSQL installation is a clear error")
    func missingBinaries() throws {
        let server = EmbeddedServer(configuration: .init(dataDirectory: "/tmp/onering-test-none/postgres", binDirectory: "/nonexistent/bin"))
        let error = #expect(throws: ProfileStoreError.self) { try server.start() }
        #expect(error?.code == .embeddedServer)
        #expect(error?.message.contains("/nonexistent/bin") == true)
    }

    @Test("a data directory holding other files, or a file, is refused and left as it was")
    func unsafeDataDirectory() throws {
        let root = "/tmp/onering-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = root + "/checkout"
        try FileManager.default.createDirectory(atPath: project + "/src", withIntermediateDirectories: true)
        try "keep me".write(toFile: project + "/src/main.swift", atomically: true, encoding: .utf8)
        let before = try FileManager.default.attributesOfItem(atPath: project + "/src/main.swift")

        let server = EmbeddedServer(
            configuration: .init(
                dataDirectory: project, port: 55_000 + Int.random(in: 0..<5_000),
                binDirectory: ProcessInfo.processInfo.environment["ONERING_PG_BIN"]
            ))
        let error = #expect(throws: ProfileStoreError.self) { try server.start() }
        #expect(error?.message.contains("not empty") == true)
        let after = try FileManager.default.attributesOfItem(atPath: project + "/src/main.swift")
        #expect(after[.ownerAccountID] as? UInt == before[.ownerAccountID] as? UInt)
        #expect(after[.ownerAccountID] as? UInt == UInt(getuid()))
        #expect(try String(contentsOfFile: project + "/src/main.swift", encoding: .utf8) == "keep me")

        let file = root + "/a-file"
        try "data".write(toFile: file, atomically: true, encoding: .utf8)
        let fileServer = EmbeddedServer(configuration: .init(dataDirectory: file, binDirectory: ProcessInfo.processInfo.environment["ONERING_PG_BIN"]))
        let fileError = #expect(throws: ProfileStoreError.self) { try fileServer.start() }
        #expect(fileError?.message.contains("is a file") == true)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "data")
    }
}

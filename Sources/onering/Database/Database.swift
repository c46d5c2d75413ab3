import ArgumentParser

/// `onering db …`: the embedded PostgreSQL server and the schema.
struct Database: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Run the embedded PostgreSQL + pgvector server, migrate the schema, build the vector index.",
        subcommands: [DatabaseStart.self, DatabaseStop.self, DatabaseStatus.self, DatabaseMigrate.self, DatabaseIndex.self]
    )
}

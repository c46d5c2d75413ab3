import ArgumentParser
import ProfileStore

/// `onering db migrate`: apply the schema migrations this build has and the database lacks.
struct DatabaseMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or update the schema (idempotent)."
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let profileStore = try await store.connect()
        let applied = try await profileStore.migrate()
        for migration in applied { print("applied \(migration.version): \(migration.name)") }
        print("schema \(store.schema) at version \(try await profileStore.schemaVersion()), \(store.dimensions) dimensions")
    }
}

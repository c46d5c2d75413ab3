import ArgumentParser
import Foundation
import ProfileStore

/// `onering import`: users and posts from JSON Lines into the store.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import users and posts from JSON Lines (validated first; upserts; one transaction per batch).",
        discussion: """
            users.jsonl: {"id": 1, "handle": "ana", "name": "Ana", "bio": "…"}
            posts.jsonl: {"id": 1, "user_id": 1, "text": "…", "hashtags": ["ai"], "topics": ["agents"], \
            "platform": "x", "published_at": "2026-09-01T14:05:00Z", "views": 10, "likes": 2, "reposts": 0}
            Every line of both files is checked before anything is written; an error names the file, \
            line and field. Running the same import twice changes nothing.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Users, one JSON object per line.") var users: String?
    @Option(help: "Posts, one JSON object per line (their users must be imported, here or before).") var posts: String?
    @Option(help: "Rows per transaction.") var batchSize: Int = 10_000

    func validate() throws {
        guard users != nil || posts != nil else { throw ValidationError("give --users, --posts, or both") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        let userRecords = try users.map { path in try JSONLines.users(try Self.read(path), source: path) } ?? []
        let postRecords = try posts.map { path in try JSONLines.posts(try Self.read(path), source: path) } ?? []
        let profileStore = try await store.openStore()
        if let users {
            var counts = ProfileStore.ImportCounts()
            for start in stride(from: 0, to: userRecords.count, by: batchSize) {
                counts += try await profileStore.importUsers(Array(userRecords[start..<min(start + batchSize, userRecords.count)]), source: users)
            }
            print("users: \(userRecords.count) lines, \(counts.inserted) inserted, \(counts.updated) updated, \(counts.unchanged) unchanged")
        }
        if let posts {
            var counts = ProfileStore.ImportCounts()
            for start in stride(from: 0, to: postRecords.count, by: batchSize) {
                counts += try await profileStore.importPosts(Array(postRecords[start..<min(start + batchSize, postRecords.count)]), source: posts)
            }
            print("posts: \(postRecords.count) lines, \(counts.inserted) inserted, \(counts.updated) updated, \(counts.unchanged) unchanged")
        }
    }

    private static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }
}

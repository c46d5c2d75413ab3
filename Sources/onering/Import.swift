import ArgumentParser
import Foundation
import ProfileStore

/// `onering import`: users and posts from JSON Lines into the store.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import users and posts from JSON Lines (validated first; upserts; all in one transaction).",
        discussion: """
            users.jsonl: {"id": 1, "handle": "ana", "name": "Ana", "bio": "…"}
            posts.jsonl: {"id": 1, "user_id": 1, "text": "…", "hashtags": ["ai"], "topics": ["agents"], \
            "platform": "x", "published_at": "2026-09-01T14:05:00Z", "views": 10, "likes": 2, "reposts": 0}
            Every line of both files is checked before anything is written, and the whole import is one \
            transaction: a post naming an unknown user or a handle taken by another user, anywhere, \
            leaves the store as it was. An error names the file, line and field. Running the same \
            import twice changes nothing.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Users, one JSON object per line.") var users: String?
    @Option(help: "Posts, one JSON object per line (their users must be imported, here or before).") var posts: String?
    @Option(help: "Rows per statement (the import is one transaction).") var batchSize: Int = 10_000

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        // Checked here, not in validate(): an unknown option (`--user`) must be reported as such first.
        guard users != nil || posts != nil else { throw ValidationError("give --users, --posts, or both") }
        let reading = now()
        let userRecords = try users.map { try Self.check($0, with: JSONLines.users) } ?? []
        let postRecords = try posts.map { try Self.check($0, with: JSONLines.posts) } ?? []
        print("checked \(userRecords.count + postRecords.count) lines in \((now() - reading).fixed(1)) s; writing")
        let profileStore = try await store.openStore()
        let started = now()
        let progressLine = ProgressLine(total: userRecords.count + postRecords.count)
        let (userCounts, postCounts) = try await profileStore.importProfiles(
            users: userRecords, usersSource: users ?? "users", posts: postRecords, postsSource: posts ?? "posts", batchSize: batchSize
        ) { done in
            progressLine.update(done: done.users + done.posts, detail: "\(done.users) users, \(done.posts) posts")
        }
        progressLine.finish()
        let seconds = now() - started
        if users != nil {
            print("users: \(userRecords.count) lines, \(userCounts.inserted) inserted, \(userCounts.updated) updated, \(userCounts.unchanged) unchanged")
        }
        if posts != nil {
            print("posts: \(postRecords.count) lines, \(postCounts.inserted) inserted, \(postCounts.updated) updated, \(postCounts.unchanged) unchanged")
        }
        print(
            "import: one transaction, committed in \(seconds.fixed(1)) s (\((Double(userRecords.count + postRecords.count) / max(seconds, 1e-9)).fixed(0)) rows/s)"
        )
    }

    /// Reads and checks the file at `path` with `reader`, showing progress.
    private static func check<Record>(
        _ path: String,
        with reader: (Data, String, (@Sendable (Int, Int) -> Void)?) throws(ProfileStoreError) -> [Numbered<Record>]
    ) throws -> [Numbered<Record>] {
        let progressLine = ProgressLine(total: 1)
        defer { progressLine.finish() }
        return try reader(try read(path), path) { done, total in
            progressLine.update(done: done, total: total, detail: "lines of \(path) checked")
        }
    }

    private static func read(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path) does not exist")
        }
        guard !isDirectory.boolValue else { throw ValidationError("\(path) is a directory; give a JSON Lines file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path) (permissions?)")
        }
        return data
    }
}

import Foundation
import ProfileStore
import Testing
import _TestSupport

@Suite("Import of users and posts")
struct ImportTests {
    static let usersFile = """
        {"id": 1, "handle": "ana", "name": "Ana", "bio": "AI agents and evals"}
        {"id": 2, "handle": "bo", "name": "Bo"}

        {"id": 3, "handle": "cy", "name": "Cy 🚀", "bio": "climate\\u0007tech"}
        """
    static let postsFile = """
        {"id": 10, "user_id": 1, "text": "Agents need evals #ai", "hashtags": ["ai"], "topics": ["agents"], "platform": "x", "published_at": "2026-09-01T14:05:00Z", "views": 1200, "likes": 31, "reposts": 4}
        {"id": 11, "user_id": 3, "text": "Heat pumps", "platform": "linkedin", "published_at": "2026-09-02T08:00:00.5Z"}
        """

    @Test("importing the same files twice changes nothing the second time")
    func idempotent() async throws {
        try await TestDatabase.withStore { store in
            let users = try JSONLines.users(Data(Self.usersFile.utf8), source: "users.jsonl")
            let posts = try JSONLines.posts(Data(Self.postsFile.utf8), source: "posts.jsonl")
            #expect(users.map(\.line) == [1, 2, 4])
            let first = (try await store.importUsers(users), try await store.importPosts(posts))
            #expect(first.0.inserted == 3 && first.1.inserted == 2)
            let versions = try await Self.rowVersions(store)
            let second = (try await store.importUsers(users), try await store.importPosts(posts))
            #expect(second.0.unchanged == 3 && second.0.inserted == 0 && second.0.updated == 0)
            #expect(second.1.unchanged == 2)
            #expect(try await Self.rowVersions(store) == versions, "an unchanged row must not be rewritten")

            var edited = users
            edited[1].record.bio = "now with a bio"
            let third = try await store.importUsers(edited)
            #expect(third.updated == 1 && third.unchanged == 2)
        }
    }

    @Test("a post of an unknown user fails its whole batch, naming the line")
    func unknownUser() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.importUsers(try JSONLines.users(Data(Self.usersFile.utf8), source: "users.jsonl"))
            let posts = try JSONLines.posts(
                Data(
                    (Self.postsFile + "\n" + """
                        {"id": 12, "user_id": 99, "text": "orphan", "platform": "x", "published_at": "2026-09-03T00:00:00Z"}
                        """).utf8), source: "posts.jsonl")
            let error = await #expect(throws: ProfileStoreError.self) { try await store.importPosts(posts, source: "posts.jsonl") }
            #expect(error?.code == .invalidInput)
            #expect(error?.message.contains("posts.jsonl line 3") == true)
            #expect(error?.message.contains("99") == true)
            let stored = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query("SELECT count(*) FROM posts").int64(0, 0)
            }
            #expect(stored == 0, "nothing of the failed batch is written")
        }
    }

    @Test("a handle taken by another stored user is refused")
    func handleTaken() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.importUsers(try JSONLines.users(Data(Self.usersFile.utf8), source: "users.jsonl"))
            let thief = [Numbered(line: 1, record: UserRecord(id: 7, handle: "ana", name: "Other Ana"))]
            let error = await #expect(throws: ProfileStoreError.self) { try await store.importUsers(thief) }
            #expect(error?.message.contains("already belongs to user 1") == true)
        }
    }

    @Test(
        "malformed lines are reported with file, line and field",
        arguments: [
            ("{\"id\": 1, \"handle\": \"a\"}", "line 1: field \"name\" is missing"),
            ("{\"id\": \"x\", \"handle\": \"a\", \"name\": \"A\"}", "line 1: field \"id\""),
            ("{\"id\": -4, \"handle\": \"a\", \"name\": \"A\"}", "line 1: field \"id\" must be positive"),
            ("{\"id\": 1, \"handle\": \"a b\", \"name\": \"A\"}", "field \"handle\" may hold only letters, digits, _ and . (found U+20)"),
            ("{\"id\": 1, \"handle\": \"a\", \"name\": \"   \"}", "field \"name\" must not be empty"),
            ("{\"id\": 1, \"handle\": \"a\", \"name\": \"A\", \"bio\": \"\\u0000\"}", "field \"bio\" contains a NUL"),
            ("not json", "line 1: is not valid JSON"),
            ("{\"id\": 1, \"handle\": \"a\", \"name\": \"A\"}\n{\"id\": 1, \"handle\": \"b\", \"name\": \"B\"}", "line 2: field \"id\" repeats line 1"),
            ("{\"id\": 1, \"handle\": \"a\", \"name\": \"A\"}\n{\"id\": 2, \"handle\": \"a\", \"name\": \"B\"}", "line 2: field \"handle\" repeats line 1"),
        ])
    func malformedUsers(line: String, expected: String) {
        let error = #expect(throws: ProfileStoreError.self) { try JSONLines.users(Data(line.utf8), source: "u.jsonl") }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
    }

    @Test("a post with a bad date or negative count is reported")
    func malformedPosts() {
        let badDate = #"{"id": 1, "user_id": 1, "text": "t", "platform": "x", "published_at": "yesterday"}"#
        let error = #expect(throws: ProfileStoreError.self) { try JSONLines.posts(Data(badDate.utf8), source: "p.jsonl") }
        #expect(error?.message.contains("published_at") == true)
        let negative = #"{"id": 1, "user_id": 1, "text": "t", "platform": "x", "published_at": "2026-01-01T00:00:00Z", "likes": -1}"#
        let second = #expect(throws: ProfileStoreError.self) { try JSONLines.posts(Data(negative.utf8), source: "p.jsonl") }
        #expect(second?.message.contains("\"likes\" must not be negative") == true)
    }

    /// Each row's physical version: it changes whenever the row is rewritten.
    static func rowVersions(_ store: ProfileStore) async throws -> [String] {
        try await store.pool.withConnection { connection throws(ProfileStoreError) in
            let rows = try connection.query("SELECT xmin::text FROM users UNION ALL SELECT xmin::text FROM posts")
            return try (0..<rows.rowCount).map { (row) throws(ProfileStoreError) in try rows.string(row, 0) }.sorted()
        }
    }

    @Test("a whole-file import is all or nothing: an unknown user on the last line leaves no user and no post")
    func allOrNothing() async throws {
        try await TestDatabase.withStore { store in
            let users = (1...30).map { Numbered(line: $0, record: UserRecord(id: Int64($0), handle: "user\($0)", name: "User \($0)")) }
            var posts = (1...95).map {
                Numbered(line: $0, record: PostRecord(id: Int64($0), userID: Int64($0 % 30 + 1), text: "post \($0)", platform: "x", publishedAt: Date()))
            }
            posts.append(Numbered(line: 96, record: PostRecord(id: 96, userID: 999, text: "orphan", platform: "x", publishedAt: Date())))
            let error = await #expect(throws: ProfileStoreError.self) {
                try await store.importProfiles(users: users, usersSource: "users.jsonl", posts: posts, postsSource: "posts.jsonl", batchSize: 10)
            }
            #expect(error?.message == "posts.jsonl line 96: field \"user_id\" names user 999, who is not imported")
            #expect(try await Self.count(store, "users") == 0)
            #expect(try await Self.count(store, "posts") == 0)

            // A handle taken by a stored user, in a late batch: nothing of the import is kept either.
            _ = try await store.importUsers([Numbered(line: 1, record: UserRecord(id: 500, handle: "user25", name: "Early"))])
            let taken = await #expect(throws: ProfileStoreError.self) {
                try await store.importProfiles(users: users, posts: Array(posts.dropLast()), batchSize: 10)
            }
            #expect(taken?.message.contains("line 25: handle \"user25\" already belongs to user 500") == true)
            #expect(try await Self.count(store, "users") == 1)
            #expect(try await Self.count(store, "posts") == 0)

            // Without the conflicts it all lands, posts naming users of the same import.
            let counts = try await store.importProfiles(
                users: Array(users.prefix(24)) + Array(users.suffix(5)), posts: Array(posts.dropLast()).filter { $0.record.userID != 25 }, batchSize: 10)
            #expect(counts.users.inserted == 29 && counts.posts.inserted == 92)
        }
    }

    @Test(
        "malformed lines are named in words a person knows",
        arguments: [
            (#"{"id": 99999.5, "handle": "a", "name": "A"}"#, "field \"id\" should be an integer"),
            (#"{"id": 9223372036854775808, "handle": "a", "name": "A"}"#, "field \"id\" should be an integer"),
            (#"[1, 2]"#, "is a list, not a JSON object"),
            (#"{"id": "7", "handle": "a", "name": "A"}"#, "field \"id\" should be an integer, not a string"),
            (#"{"id": 7, "handle": ["x"], "name": "A"}"#, "field \"handle\" should be a string, not a list"),
            (#"{"id": 7, "handle": "a", "name": "\ud800"}"#, "is not valid JSON"),
            (#"{"id": 7, "handle": "a"}"#, "field \"name\" is missing"),
        ])
    func messages(line: String, expected: String) throws {
        let error = #expect(throws: ProfileStoreError.self) { try JSONLines.users(Data(line.utf8), source: "u.jsonl") }
        #expect(error?.message.hasPrefix("u.jsonl line 1: \(expected)") == true, "\(error?.message ?? "")")
        let bytes = Data([0x7B, 0x22, 0x69, 0x64, 0x22, 0x3A, 0xFF, 0x7D])
        #expect((#expect(throws: ProfileStoreError.self) { try JSONLines.users(bytes, source: "u.jsonl") })?.message == "u.jsonl line 1: is not UTF-8 text")
    }

    private static func count(_ store: ProfileStore, _ table: String) async throws -> Int64 {
        try await store.pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT count(*) FROM \(table)").int64(0, 0)
        }
    }
}

import Foundation
import Testing
import _TestSupport

@testable import ProfileStore

@Suite("The profile change feed: every write to a creator's user row or posts, by any statement")
struct ProfileChangesTests {
    private func post(_ id: Int64, of userID: Int64, likes: Int64 = 0) -> Numbered<PostRecord> {
        Numbered(
            line: Int(id),
            record: PostRecord(
                id: id, userID: userID, text: "post \(id)", topics: [], hashtags: [], platform: "x",
                publishedAt: Date(timeIntervalSince1970: 1_790_000_000), views: 10, likes: likes, reposts: 0))
    }

    @Test("inserts, updates and deletes of users and posts name their creators; a row read again keeps its stamp")
    func namesEveryWrite() async throws {
        try await TestDatabase.withStore(dimensions: 8) { store in
            let users = (1...4).map { Numbered(line: $0, record: UserRecord(id: Int64($0), handle: "u\($0)", name: "User \($0)")) }
            _ = try await store.importUsers(users)
            _ = try await store.importPosts([post(11, of: 1), post(21, of: 2)])
            let start = try await store.profileChanges(since: .beginning)
            #expect(Set(start.stamps.keys) == [1, 2, 3, 4])

            // Nothing written since: nothing named (or only rows with the stamps already read).
            let idle = try await store.profileChanges(since: start.watermark)
            #expect(idle.stamps.allSatisfy { start.stamps[$0.key] == $0.value })

            // A post's engagement (user 2), a new post (user 3), a bio (user 4).
            _ = try await store.importPosts([post(21, of: 2, likes: 5), post(31, of: 3)])
            _ = try await store.importUsers([Numbered(line: 1, record: UserRecord(id: 4, handle: "u4", name: "User 4", bio: "new"))])
            // Rows stamped before may be read again (the watermark is the oldest open transaction's,
            // and other tests run alongside), with the stamps already seen.
            let written = try await store.profileChanges(since: start.watermark)
            let fresh = written.stamps.filter { start.stamps[$0.key] != $0.value }
            #expect(Set(fresh.keys) == [2, 3, 4])
            // Read again from the same watermark: the same rows with the same stamps.
            #expect(try await store.profileChanges(since: start.watermark).stamps == written.stamps)

            // A statement that writes nothing new names nobody; deleting a user names them (and
            // their posts go with them).
            _ = try await store.importUsers([Numbered(line: 1, record: UserRecord(id: 4, handle: "u4", name: "User 4", bio: "new"))])
            let unchanged = try await store.profileChanges(since: written.watermark)
            #expect(unchanged.stamps.allSatisfy { written.stamps[$0.key] == $0.value || start.stamps[$0.key] == $0.value })
            try await store.withTables { connection throws(ProfileStoreError) in try connection.execute("DELETE FROM users WHERE id = 1") }
            let deleted = try await store.profileChanges(since: written.watermark)
            #expect(deleted.stamps[1] != nil && deleted.stamps[1] != start.stamps[1])
        }
    }
}

import Synchronization
import Testing
import VectorMath
import _TestSupport

@testable import ProfileStore

@Suite("Embeddings: write, bulk read, change feed")
struct EmbeddingStoreTests {
    static let dimensions = 24

    /// Runs `body` with a store of `count` users, ids 1…count, in a schema dropped afterwards.
    static func withUsers(_ count: Int, _ body: (ProfileStore) async throws -> Void) async throws {
        try await TestDatabase.withStore(dimensions: dimensions) { store in
            let users = (1...count).map { Numbered(line: $0, record: UserRecord(id: Int64($0), handle: "u\($0)", name: "User \($0)")) }
            _ = try await store.importUsers(users)
            try await body(store)
        }
    }

    static func rows(_ ids: [Int64], seed: UInt64) -> EmbeddingRows {
        let vectors = SyntheticVectors(dims: dimensions, seed: seed).generate(count: ids.count)
        return EmbeddingRows(userIDs: ids, vectors: vectors, model: "test-model", contentHashes: ids.map { _ in [UInt8(seed)] })
    }

    /// id → vector bits, the oracle for what the store returns.
    static func byID(_ ids: [Int64], _ vectors: Matrix<Float>) -> [Int64: [UInt32]] {
        Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, vectors.row($0).map(\.bitPattern)) })
    }

    @Test("the bulk read returns exactly what was written, bit for bit, in several batches")
    func bulkReadEqualsWritten() async throws {
        try await Self.withUsers(300) { store in
            let first = Self.rows((1...200).map(Int64.init), seed: 1)
            let second = Self.rows((201...300).map(Int64.init), seed: 2)
            #expect(try await store.writeEmbeddings(first) == 200)
            #expect(try await store.writeEmbeddings(second) == 100)
            let read = try await store.embeddings()
            #expect(read.vectors.rows == 300 && read.vectors.columns == Self.dimensions)
            let expected = Self.byID(first.userIDs, first.vectors).merging(Self.byID(second.userIDs, second.vectors)) { $1 }
            #expect(Self.byID(read.userIDs, read.vectors) == expected)
            #expect(read.deletedUserIDs.isEmpty)
        }
    }

    @Test("rewriting embeddings updates them in place")
    func rewrite() async throws {
        try await Self.withUsers(50) { store in
            _ = try await store.writeEmbeddings(Self.rows((1...50).map(Int64.init), seed: 1))
            let update = Self.rows([5, 6, 7, 60 - 10], seed: 9)
            _ = try await store.writeEmbeddings(update)
            let read = try await store.embeddings()
            #expect(read.userIDs.count == 50)
            let stored = Self.byID(read.userIDs, read.vectors)
            for (id, bits) in Self.byID(update.userIDs, update.vectors) { #expect(stored[id] == bits) }
        }
    }

    // Other tests' transactions share the server: while one runs, the watermark (a snapshot's
    // xmin) stays low and the feed repeats rows, as its contract allows. So this checks that
    // every change is there with its value, and that whatever else comes back is current.
    @Test("the change feed returns every row written or deleted since the watermark, with its current value")
    func changeFeed() async throws {
        try await Self.withUsers(100) { store in
            let initial = Self.rows((1...80).map(Int64.init), seed: 1)
            _ = try await store.writeEmbeddings(initial)
            let start = try await store.embeddings()
            var current = Self.byID(initial.userIDs, initial.vectors)
            let idle = try await store.embeddings(changedSince: start.watermark)
            #expect(idle.deletedUserIDs.isEmpty)
            #expect(Self.byID(idle.userIDs, idle.vectors).allSatisfy { current[$0.key] == $0.value }, "only repeats of current rows")

            let rewritten = Self.rows([3, 4], seed: 5)
            let added = Self.rows([90, 91, 92], seed: 6)
            _ = try await store.writeEmbeddings(rewritten)
            _ = try await store.writeEmbeddings(added)
            #expect(try await store.deleteEmbeddings(userIDs: [10, 11]) == 2)
            current.merge(Self.byID(rewritten.userIDs, rewritten.vectors).merging(Self.byID(added.userIDs, added.vectors)) { $1 }) { $1 }
            current[10] = nil
            current[11] = nil
            // The watermark is the oldest transaction still running anywhere on the server: while
            // another test's transaction runs it may stay put; it must move once they finish.
            var changes = try await store.embeddings(changedSince: start.watermark)
            for _ in 0..<300 where changes.watermark <= start.watermark {
                try await Task.sleep(for: .milliseconds(100))
                changes = try await store.embeddings(changedSince: start.watermark)
            }
            let changed = Self.byID(changes.userIDs, changes.vectors)
            #expect(Set(changes.userIDs).isSuperset(of: [3, 4, 90, 91, 92]))
            #expect(changed.allSatisfy { current[$0.key] == $0.value }, "every row returned is current")
            #expect(Set(changes.deletedUserIDs) == [10, 11])
            #expect(changes.watermark > start.watermark)

            // Writing a deleted user again clears its tombstone.
            let again = Self.rows([10], seed: 7)
            _ = try await store.writeEmbeddings(again)
            current[10] = again.vectors.row(0).map(\.bitPattern)
            let later = try await store.embeddings(changedSince: changes.watermark)
            #expect(later.userIDs.contains(10) && !later.deletedUserIDs.contains(10))
            #expect(Self.byID(later.userIDs, later.vectors).allSatisfy { current[$0.key] == $0.value })
        }
    }

    @Test("an in-memory copy kept in sync through the feed equals a full read")
    func syncedCopy() async throws {
        try await Self.withUsers(60) { store in
            _ = try await store.writeEmbeddings(Self.rows((1...40).map(Int64.init), seed: 1))
            var snapshot = try await store.embeddings()
            var copy = Self.byID(snapshot.userIDs, snapshot.vectors)
            for round in 0..<3 {
                let ids = (0..<5).map { Int64(1 + (round * 13 + $0 * 7) % 60) }
                _ = try await store.writeEmbeddings(Self.rows(ids, seed: UInt64(10 + round)))
                _ = try await store.deleteEmbeddings(userIDs: [Int64(20 + round)])
                let changes = try await store.embeddings(changedSince: snapshot.watermark)
                for id in changes.deletedUserIDs { copy[id] = nil }
                copy.merge(Self.byID(changes.userIDs, changes.vectors)) { $1 }
                snapshot = changes
            }
            let full = try await store.embeddings()
            #expect(copy == Self.byID(full.userIDs, full.vectors))
        }
    }

    @Test("bad embeddings are refused and nothing of their batch is written")
    func badInput() async throws {
        try await Self.withUsers(10) { (store) async throws in
            var zero = Self.rows([1, 2], seed: 1)
            zero.vectors.replaceRow(1, with: [Float](repeating: 0, count: Self.dimensions))
            var nan = Self.rows([1, 2], seed: 1)
            nan.vectors[0, 3] = .nan
            let repeated = Self.rows([1, 1], seed: 1)
            let unknownUser = Self.rows([1, 99], seed: 1)
            let wrongDimension = EmbeddingRows(
                userIDs: [1], vectors: SyntheticVectors(dims: 7, seed: 1).generate(count: 1), model: "m", contentHashes: [[1]]
            )
            for (rows, code) in [
                (zero, ProfileStoreError.Code.invalidInput), (nan, .invalidInput), (repeated, .invalidInput),
                (unknownUser, .invalidInput), (wrongDimension, .dimensionMismatch),
            ] {
                let error = await #expect(throws: ProfileStoreError.self) { try await store.writeEmbeddings(rows) }
                #expect(error?.code == code, "\(error?.message ?? "")")
            }
            #expect(try await store.embeddings().userIDs.isEmpty)
        }
    }

    @Test("a batch larger than one COPY chunk (1 MiB) arrives whole")
    func copyChunks() async throws {
        try await TestDatabase.withStore(dimensions: 1536) { store in
            let users = (1...300).map { Numbered(line: $0, record: UserRecord(id: Int64($0), handle: "u\($0)", name: "U")) }
            _ = try await store.importUsers(users)
            // 300 × 1536 floats ≈ 1.8 MiB: at least two chunks.
            let vectors = SyntheticVectors(dims: 1536, seed: 4).generate(count: 300)
            let rows = EmbeddingRows(userIDs: (1...300).map(Int64.init), vectors: vectors, model: "m", contentHashes: Array(repeating: [1], count: 300))
            #expect(try await store.writeEmbeddings(rows) == 300)
            let read = try await store.embeddings()
            #expect(Self.byID(read.userIDs, read.vectors) == Self.byID(rows.userIDs, rows.vectors))
        }
    }

    @Test("a user a concurrent writer inserted first is written by the retry, not lost")
    func concurrentInsertRetry() async throws {
        try await Self.withUsers(5) { store in
            let other = try await ProfileStore.connect(
                .init(
                    connectionString: store.configuration.connectionString, schema: store.configuration.schema, dimensions: Self.dimensions
                ))
            let theirs = Self.rows([3], seed: 7), ours = Self.rows([3], seed: 8)
            // The other writer inserts user 3's embedding and holds its transaction open.
            let inserted = Atomic<Bool>(false)
            let holder = Task {
                try await other.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.transaction { () throws(ProfileStoreError) in
                        try connection.query(
                            "INSERT INTO profile_embeddings (user_id, embedding, model, content_hash) VALUES (3, $1::vector, 'theirs', '\\x00')",
                            [.vector(theirs.vectors.row(0))])
                        inserted.store(true, ordering: .releasing)
                        _ = try connection.query("SELECT pg_sleep(0.3)")
                    }
                }
            }
            while !inserted.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
            // Ours sees no row, COPYs, waits on their uncommitted key, fails with 23505, and retries as an update.
            #expect(try await store.writeEmbeddings(ours) == 1)
            try await holder.value
            let read = try await store.embeddings()
            #expect(Self.byID(read.userIDs, read.vectors) == Self.byID(ours.userIDs, ours.vectors))
        }
    }

    @Test("a COPY whose writer fails is aborted: nothing of it is kept, the connection is usable")
    func copyAbort() async throws {
        try await TestDatabase.withStore { store in
            let error = await #expect(throws: ProfileStoreError.self) {
                try await store.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.copyIn("COPY users (id, handle, display_name) FROM STDIN (FORMAT binary)") { (writer) throws(ProfileStoreError) in
                        try writer.beginRow(fields: 3)
                        try writer.append(.int64(1))
                        try writer.append(.text("a"))
                        try writer.append(.text("A"))
                        throw ProfileStoreError(.invalidInput, "the source broke off")
                    }
                }
            }
            #expect(error?.message == "the source broke off")
            let count = try await store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query("SELECT count(*) FROM users").int64(0, 0)
            }
            #expect(count == 0)
        }
    }
}

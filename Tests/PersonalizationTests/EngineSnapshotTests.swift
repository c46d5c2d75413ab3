import Embedding
import Foundation
import Logging
import ProfileStore
import Testing
import VectorMath

@testable import Personalization

@Suite("The engine's snapshot: a start that reads files and catches up, or reads the store in full")
struct EngineSnapshotTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func start(_ fixture: EngineFixture, directory: String?, embedder: HashingEmbedder? = nil) async throws -> PersonalizationEngine {
        try await PersonalizationEngine.start(
            store: fixture.store, embedder: embedder ?? fixture.embedder, configuration: .init(snapshotDirectory: directory), logger: logger)
    }

    /// A fresh folder under the temporary directory, removed after `body`.
    static func withDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "onering-snapshot-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory)
    }

    /// A fixture with posts embedded and a cohort run, so the snapshot holds every part.
    static func withFixture(_ body: (EngineFixture) async throws -> Void) async throws {
        try await EngineFixture.with(creators: 120) { fixture in
            _ = try await PostEmbeddingBackfill(store: fixture.store, embedder: fixture.embedder).run()
            _ = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(4))).run()
            try await body(fixture)
        }
    }

    @Test("a start from the snapshot catches up with writes, deletions and posts made since, and answers as a full read does")
    func catchesUp() async throws {
        try await Self.withFixture { fixture in
            try await Self.withDirectory { directory in
                let first = try await Self.start(fixture, directory: directory)
                #expect(!first.startReport.fromSnapshot && first.startReport.snapshotWritten != nil)
                #expect(first.startReport.snapshotRejection?.contains("there is no snapshot") == true)

                // Changes after the snapshot: a deletion, a creator moved next to another, a new post embedded.
                try await fixture.store.deleteEmbeddings(userIDs: [5])
                let moved = try #require(first.embedding(of: 9))
                _ = try await fixture.store.writeEmbeddings(
                    EmbeddingRows(
                        userIDs: [7], vectors: Matrix(columns: EngineFixture.dimensions, values: moved.map { $0 + 0.01 }), model: fixture.embedder.modelID,
                        contentHashes: [[7]]))
                let post = PostRecord(
                    id: 9_000_001, userID: 3, text: "a fresh note on sourdough starters and slow mornings", topics: ["baking"], hashtags: [],
                    platform: "x", publishedAt: Date(), views: 100, likes: 9, reposts: 1)
                _ = try await fixture.store.importPosts([Numbered(line: 1, record: post)])
                _ = try await PostEmbeddingBackfill(store: fixture.store, embedder: fixture.embedder).run()

                let resumed = try await Self.start(fixture, directory: directory)
                let report = resumed.startReport
                #expect(report.fromSnapshot && report.snapshotRejection == nil, "\(report.snapshotRejection ?? "")")
                #expect((report.caughtUp?.deleted ?? 0) >= 1 && (report.caughtUp?.upserted ?? 0) >= 1 && (report.caughtUp?.posts ?? 0) >= 1)
                let full = try await Self.start(fixture, directory: nil)
                #expect(resumed.status.creators == full.status.creators && resumed.postCount == full.postCount)
                #expect(!resumed.contains(5) && resumed.containsPost(post.id))
                #expect(resumed.embedding(of: 7) == full.embedding(of: 7))
                #expect(resumed.status.cohortRunID == full.status.cohortRunID)
                for user in [Int64(1), 3, 7, 9, 40, 100] {
                    #expect(try resumed.similarCreators(toUser: user, k: 8) == full.similarCreators(toUser: user, k: 8))
                }
                // Creator 7, written after the run, joins its nearest cohort when the write comes through the
                // feed (as in a running engine) but its stored cohort on a full read: without it, the partitions agree.
                for user in [Int64(1), 3, 9, 40, 100] {
                    #expect(
                        try resumed.similarCreators(toUser: user, k: 8, mode: .partitioned(nprobe: 2), excluding: [7])
                            == full.similarCreators(toUser: user, k: 8, mode: .partitioned(nprobe: 2), excluding: [7]))
                    #expect(resumed.cohort(of: user)?.cohort.id == full.cohort(of: user)?.cohort.id)
                }
                var options = PersonalizationEngine.ContextOptions()
                options.brief = "sourdough mornings"
                // Neither engine re-embeds creator 3 (whose new post makes the stored embedding stale) for the other.
                options.embedsOnDemand = false
                let context = try await resumed.context(for: 3, options: options)
                let reference = try await full.context(for: 3, options: options)
                #expect(context.exemplars.map(\.postID) == reference.exemplars.map(\.postID))
                #expect(context.similarCreators.map(\.id) == reference.similarCreators.map(\.id))

                // The engine started from the files writes its snapshot over them (as `serve` does when it stops).
                try await resumed.saveSnapshot()
                let again = try await Self.start(fixture, directory: directory)
                #expect(again.startReport.fromSnapshot)
                #expect(again.embedding(of: 7) == full.embedding(of: 7) && !again.contains(5) && again.postCount == full.postCount)
            }
        }
    }

    /// Sets `key` of the snapshot's `engine.json` in `directory` to `value`.
    static func editMeta(_ directory: String, _ key: String, _ value: Any) throws {
        let url = URL(fileURLWithPath: directory + "/engine.json")
        var meta = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        meta[key] = value
        try JSONSerialization.data(withJSONObject: meta).write(to: url)
    }

    /// Flips one byte inside the vectors of the snapshot in `directory`: its trailer still names it, its content fails.
    static func corrupt(_ directory: String) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/index.snap"))
        let middle = try handle.seekToEnd() / 2
        try handle.seek(toOffset: middle)
        let byte = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: middle)
        try handle.write(contentsOf: Data([byte[0] ^ 0x40]))
        try handle.close()
    }

    @Test("a snapshot that does not fit is not used: missing, corrupt, another model, dimension, store or schema version, files mixed")
    func rejected() async throws {
        try await Self.withFixture { fixture in
            try await Self.withDirectory { directory in
                let first = try await Self.start(fixture, directory: directory)
                let creators = first.status.creators, posts = first.postCount
                let unigrams = try HashingEmbedder(configuration: .init(dimensions: EngineFixture.dimensions, bigrams: false))
                let cases: [(change: @Sendable (String) throws -> Void, embedder: HashingEmbedder?, reason: String)] = [
                    ({ try FileManager.default.removeItem(atPath: $0 + "/engine.json") }, nil, "there is no snapshot"),
                    ({ try Self.corrupt($0) }, nil, "checksum"),
                    ({ _ in }, unigrams, "model"),
                    ({ try Self.editMeta($0, "dimensions", 64) }, nil, "64-dimensional"),
                    ({ try Self.editMeta($0, "schemaVersion", 6) }, nil, "schema version 6"),
                    ({ try Self.editMeta($0, "instance", "another") }, nil, "another store"),
                    ({ try Self.editMeta($0, "postsChecksum", 1) }, nil, "do not belong together"),
                    ({ try Self.editMeta($0, "watermark", Int64.max) }, nil, "past the server's transactions"),
                ]
                for (change, embedder, reason) in cases {
                    // A copy of the valid snapshot, changed; the start reads the store in full and says why.
                    let copy = directory + "-variant"
                    try? FileManager.default.removeItem(atPath: copy)
                    try FileManager.default.copyItem(atPath: directory, toPath: copy)
                    try change(copy)
                    let engine = try await Self.start(fixture, directory: copy, embedder: embedder)
                    try? FileManager.default.removeItem(atPath: copy)
                    let rejection = engine.startReport.snapshotRejection ?? ""
                    #expect(!engine.startReport.fromSnapshot && rejection.contains(reason), "expected \(reason): \(rejection)")
                    #expect(engine.status.creators == creators && (embedder != nil || engine.postCount == posts))
                }
            }
        }
    }

    @Test("the slot table answers as a dictionary does through inserts, replacements and removals")
    func slotTable() {
        var table = SlotTable(seed: 42)
        var oracle: [Int64: Int32] = [:]
        var random = SplitMix64(seed: 9)
        for step in 0..<20_000 {
            // Few distinct keys, so runs of buckets form and removals shift them.
            let key = Int64(random.next() % 3_000) + 1
            if random.next() % 3 == 0 {
                #expect(table.removeValue(forKey: key) == oracle.removeValue(forKey: key))
            } else {
                table.set(Int32(step), for: key)
                oracle[key] = Int32(step)
            }
        }
        #expect(table.count == oracle.count)
        for key in Int64(1)...3_001 { #expect(table[key] == oracle[key]) }
        #expect(table.allSlots.sorted() == oracle.values.sorted())
        let copy = SlotTable(keys: table.keys, slots: table.slots, seed: table.seed)
        #expect(copy?.count == table.count && copy?[oracle.keys.first!] == oracle[oracle.keys.first!])
    }
}

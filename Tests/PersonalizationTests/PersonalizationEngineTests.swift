import Embedding
import Foundation
import Logging
import ProfileStore
import Testing
import VectorMath
import _TestSupport

@testable import Personalization

@Suite("Personalization engine, against the database")
struct PersonalizationEngineTests {
    @Test("start loads every embedding; exact search agrees with a brute-force scan")
    func startAndSearch() async throws {
        try await EngineFixture.with(creators: 150) { fixture in
            let engine = try await fixture.engine()
            #expect(engine.status.creators == 150)

            let stored = try await fixture.store.embeddings()
            let query = stored.vectors.row(0)
            // Oracle: every creator scored in a plain loop.
            let norms = (0..<stored.userIDs.count).map { row in stored.vectors.row(row).reduce(0) { $0 + $1 * $1 }.squareRoot() }
            let queryNorm = norms[0]
            let expected = (0..<stored.userIDs.count).map { row in
                (id: stored.userIDs[row], score: zip(stored.vectors.row(row), query).reduce(0) { $0 + $1.0 * $1.1 } / (norms[row] * queryNorm))
            }.filter { $0.id != stored.userIDs[0] }.sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(10)
            let found = try engine.similarCreators(toUser: stored.userIDs[0], k: 10)
            #expect(found.map(\.id) == expected.map(\.id))
            for (hit, oracle) in zip(found, expected) { #expect(abs(hit.score - oracle.score) < 1e-4) }
            #expect(!found.contains { $0.id == stored.userIDs[0] })
        }
    }

    @Test("writes and deletions by another writer reach the index through the change feed")
    func changeFeed() async throws {
        try await EngineFixture.with(creators: 60) { fixture in
            let engine = try await fixture.engine()
            // Another process writes creator 5's embedding as a copy of creator 9's, and deletes creator 7's.
            let nine = try #require(engine.embedding(of: 9))
            try await fixture.store.writeEmbeddings(
                EmbeddingRows(
                    userIDs: [5], vectors: Matrix(columns: EngineFixture.dimensions, values: nine), model: "test", contentHashes: [[1]]
                ))
            try await fixture.store.deleteEmbeddings(userIDs: [7])
            #expect(engine.contains(7))
            let report = try await engine.synchronize()
            #expect(report.deleted == 1 && report.upserted >= 1 && report.rejected == 0)
            #expect(!engine.contains(7))
            let nearest = try engine.similarCreators(toUser: 9, k: 1)
            #expect(nearest.first?.id == 5 && abs(nearest[0].score - 1) < 1e-5)
            // A second sync starts from the advanced watermark: it applies nothing at all, so an
            // idle follower does no work (before, it re-applied every change since start).
            let watermark = engine.status.watermark
            let idle = try await engine.synchronize()
            #expect(idle.deleted == 0 && idle.upserted == 0 && idle.rejected == 0)
            #expect(engine.status.watermark >= watermark)
        }
    }

    @Test("the follower makes a write searchable without being asked")
    func follower() async throws {
        try await EngineFixture.with(creators: 40) { fixture in
            let engine = try await fixture.engine()
            let follower = Task { await engine.follow() }
            defer { follower.cancel() }
            try await fixture.store.deleteEmbeddings(userIDs: [3])
            var waited = 0
            while engine.contains(3), waited < 100 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            #expect(!engine.contains(3))
        }
    }

    @Test("a lost database connection stops no search; the next sync reconnects and catches up")
    func lostConnection() async throws {
        try await EngineFixture.with(creators: 50) { fixture in
            // The engine's own store, tagged so that only its connections are cut.
            let tag = "engine_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let store = try await ProfileStore.connect(
                .init(
                    connectionString: try TestDatabase.connectionString() + " application_name=\(tag)",
                    schema: fixture.store.configuration.schema, dimensions: EngineFixture.dimensions
                ))
            let engine = try await PersonalizationEngine.start(
                store: store, embedder: fixture.embedder, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let cut = try await fixture.store.pool.withConnection { connection throws(ProfileStoreError) in
                try connection.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", [.text(tag)]).int64(0, 0)
            }
            #expect(cut >= 1)
            #expect(try engine.similarCreators(toUser: 2, k: 5).count == 5)
            try await fixture.store.deleteEmbeddings(userIDs: [2])
            // The pool notices the closed connection when it hands it out, reconnects, and the feed resumes from its watermark.
            _ = try? await engine.synchronize()
            if engine.contains(2) { try await engine.synchronize() }
            #expect(!engine.contains(2))
        }
    }

    @Test("NaN and wrong-dimension rows from the feed are rejected; the index keeps what it had")
    func badRowsRejected() async throws {
        try await EngineFixture.with(creators: 30) { fixture in
            let engine = try await fixture.engine()
            let before = try #require(engine.embedding(of: 4))
            var nan = [Float](repeating: 0.1, count: EngineFixture.dimensions)
            nan[3] = .nan
            let report = engine.apply(
                EmbeddingChanges(
                    userIDs: [4, 5], vectors: Matrix(columns: EngineFixture.dimensions, values: nan + [Float](repeating: 0, count: EngineFixture.dimensions)),
                    deletedUserIDs: [], watermark: .beginning
                ))
            #expect(report.rejected == 2 && report.upserted == 0)
            #expect(engine.embedding(of: 4) == before)
            let wrongWidth = engine.apply(
                EmbeddingChanges(
                    userIDs: [6], vectors: Matrix(columns: 3, values: [1, 2, 3]), deletedUserIDs: [], watermark: .beginning
                ))
            #expect(wrongWidth.rejected == 1)
            #expect(engine.status.creators == 30 && engine.status.rejectedRows == 3)
            #expect(try engine.similarCreators(toUser: 4, k: 3).count == 3)
        }
    }

    @Test("a creator without an embedding, or with a changed profile, is embedded on demand")
    func onDemand() async throws {
        try await EngineFixture.with(creators: 25, embed: false) { fixture in
            try await EmbeddingBackfill(store: fixture.store, embedder: fixture.embedder).run()
            try await fixture.store.deleteEmbeddings(userIDs: [11])
            let engine = try await fixture.engine()
            #expect(!engine.contains(11))

            let first = try await engine.refreshEmbedding(userID: 11)
            #expect(first.embedded && engine.contains(11))
            #expect(try await fixture.store.embeddings().userIDs.contains(11))
            #expect(try await engine.refreshEmbedding(userID: 11).embedded == false)

            var user = fixture.creators[10].user
            user.bio = "Sourdough baker, fermentation nerd"
            _ = try await fixture.store.importUsers([Numbered(line: 1, record: user)])
            let before = try #require(engine.embedding(of: 11))
            #expect(try await engine.refreshEmbedding(userID: 11).embedded)
            #expect(engine.embedding(of: 11) != before)

            await #expect(throws: PersonalizationError.self) { try await engine.refreshEmbedding(userID: 999_999) }
        }
    }

    @Test("bad search input is refused with a clear error", arguments: [0, -3])
    func badK(k: Int) async throws {
        try await EngineFixture.with(creators: 12) { fixture in
            let engine = try await fixture.engine()
            #expect { try engine.similarCreators(toUser: 1, k: k) } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }
            #expect { try engine.similarCreators(toUser: 1, k: 3, mode: .partitioned(nprobe: 0)) } throws: {
                ($0 as? PersonalizationError)?.code == .invalidInput
            }
            #expect { try engine.similarCreators(toUser: 12_345, k: 3) } throws: { ($0 as? PersonalizationError)?.code == .unknownUser }
            #expect { try engine.similarCreators(toUser: 1, k: 3, cohort: 0) } throws: { ($0 as? PersonalizationError)?.code == .notReady }
        }
    }
}

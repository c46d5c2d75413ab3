import Foundation
import Logging
import Personalization
import ProfileStore
import SampleData
import Testing
import _TestSupport

@Suite("Brief-aware contexts and post search, against the database")
struct BriefContextTests {
    /// A fixture whose posts are embedded, with a cohort run.
    static func withPosts(creators: Int, cohorts: Int, _ body: (EngineFixture, PersonalizationEngine) async throws -> Void) async throws {
        try await EngineFixture.with(creators: creators) { fixture in
            try await PostEmbeddingBackfill(store: fixture.store, embedder: fixture.embedder).run()
            _ = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(cohorts))).run()
            try await body(fixture, try await fixture.engine())
        }
    }

    @Test("the exemplars answer the brief: most are on its topic, several times more than without it")
    func exemplarsAnswerTheBrief() async throws {
        try await Self.withPosts(creators: 400, cohorts: 4) { fixture, engine in
            let check = BriefQualityCheck(creators: fixture.creators, count: 40, seed: 7) {
                engine.cohort(of: $0)?.cohort.traits.trendingTopics.first?.topic
            }
            func share(answeringTheBrief: Bool) async throws -> Double {
                try await check.share { item in
                    var options = PersonalizationEngine.ContextOptions()
                    options.brief = item.brief
                    options.answersBrief = answeringTheBrief
                    let context = try await engine.context(for: item.userID, options: options)
                    if answeringTheBrief {
                        #expect(context.brief?.text == item.brief && context.brief?.source == "request")
                        #expect(context.exemplars.allSatisfy { $0.breakdown.brief != nil && $0.breakdown.lexical != nil })
                        #expect(context.exemplars.count { $0.own } <= 3)
                    }
                    return context.exemplars.map(\.topics)
                }.share
            }
            let before = try await share(answeringTheBrief: false)
            let after = try await share(answeringTheBrief: true)
            #expect(after >= 0.6, "brief-aware share \(after)")
            #expect(after >= 3 * before, "brief-aware \(after) against \(before) without the brief")
        }
    }

    @Test("post embeddings: reruns skip current posts, edited and new posts are embedded, the change feed carries writes and deletions")
    func postEmbeddingsFollowTheStore() async throws {
        try await Self.withPosts(creators: 40, cohorts: 2) { fixture, engine in
            let total = fixture.creators.reduce(0) { $0 + $1.posts.count }
            #expect(engine.postCount == total)
            let rerun = try await PostEmbeddingBackfill(store: fixture.store, embedder: fixture.embedder).run()
            #expect(rerun.embedded == 0 && rerun.current == total)

            let edited = fixture.creators[3].posts[0].id
            try await fixture.store.pool.withConnection { connection throws(ProfileStoreError) in
                _ = try connection.query(
                    "UPDATE \(fixture.store.configuration.schema).posts SET content = 'Kombucha scoby hotel, week two' WHERE id = $1", [.int64(edited)]
                ).affectedRows
            }
            let again = try await PostEmbeddingBackfill(store: fixture.store, embedder: fixture.embedder).run()
            #expect(again.embedded == 1)
            #expect(try await engine.synchronize().posts == 1)
            let found = try await engine.searchPosts(text: "kombucha scoby", options: .init(k: 3, nprobe: nil))
            #expect(found.first?.postID == edited)
            #expect(found.first.map { $0.lexical == 1 } == true)

            // New engagement puts the post back on the feed (the engine ranks by it); the same counts do not.
            let counted = fixture.creators[5].posts[0].id
            for _ in 0..<2 {
                try await fixture.store.pool.withConnection { connection throws(ProfileStoreError) in
                    _ = try connection.query(
                        "UPDATE \(fixture.store.configuration.schema).posts SET likes = 4242 WHERE id = $1", [.int64(counted)]
                    ).affectedRows
                }
            }
            #expect(try await engine.synchronize().posts == 1)
            #expect(try await engine.synchronize().posts == 0)

            // A creator's own new post, written without its embedding, is embedded by their next context.
            let fresh = PostRecord(
                id: 880_001, userID: 4, text: "Sauerkraut jars on the windowsill", topics: [], hashtags: [], platform: "x",
                publishedAt: Date(timeIntervalSinceNow: -3_600), views: 10, likes: 1, reposts: 0)
            _ = try await fixture.store.importPosts([Numbered(line: 1, record: fresh)])
            #expect(!engine.containsPost(fresh.id))
            var options = PersonalizationEngine.ContextOptions()
            options.brief = "sauerkraut"
            _ = try await engine.context(for: 4, options: options)
            #expect(engine.containsPost(fresh.id))

            try await fixture.store.pool.withConnection { connection throws(ProfileStoreError) in
                _ = try connection.query("DELETE FROM \(fixture.store.configuration.schema).posts WHERE id = $1", [.int64(edited)]).affectedRows
            }
            _ = try await engine.synchronize()
            #expect(engine.postCount == total)
            #expect(try await engine.searchPosts(text: "kombucha scoby", options: .init(k: 3, nprobe: nil)).allSatisfy { $0.postID != edited })
        }
    }

    @Test("briefs and post searches: blank, too long, unseen scripts, creators without posts, bad options")
    func badInput() async throws {
        try await Self.withPosts(creators: 60, cohorts: 3) { fixture, engine in
            var options = PersonalizationEngine.ContextOptions()
            options.brief = String(repeating: "x", count: PersonalizationEngine.maximumBriefLength + 1)
            await #expect { try await engine.context(for: 1, options: options) } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }

            // Blank is none: the cohort's trending topic stands in when there is one.
            options.brief = " \n\t "
            let blank = try await engine.context(for: 1, options: options)
            let trending = engine.cohort(of: 1)?.cohort.traits.trendingTopics.first?.topic
            #expect(blank.brief?.text == trending && blank.brief?.source == (trending == nil ? nil : "trendingTopic"))

            // A script no post uses: the lexical part finds nothing, the context is still built.
            options.brief = "ブリーフ 日本語 テスト"
            let unseen = try await engine.context(for: 1, options: options)
            #expect(unseen.exemplars.count <= options.exemplars)

            // A creator with no posts gets exemplars from the others.
            _ = try await fixture.store.importUsers([
                Numbered(line: 1, record: UserRecord(id: 9_001, handle: "quiet_one", name: "Quiet", bio: "marathon running and recovery"))
            ])
            options.brief = "marathon recovery weeks"
            let quiet = try await engine.context(for: 9_001, options: options)
            #expect(quiet.exemplars.allSatisfy { !$0.own })

            typealias Search = PersonalizationEngine.PostSearchOptions
            for bad in [Search(k: 0), Search(k: 101), Search(since: Date(), until: Date(timeIntervalSinceNow: -86_400)), Search(nprobe: 0)] {
                await #expect { try await engine.searchPosts(text: "running", options: bad) } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }
            }
            await #expect { try await engine.searchPosts(text: "running", options: .init(cohort: 99)) } throws: {
                ($0 as? PersonalizationError)?.code == .unknownCohort
            }
            await #expect { try await engine.searchPosts() } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }
            await #expect { try await engine.searchPosts(text: "a", vector: [1]) } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }
            await #expect { try await engine.searchPosts(text: "   ") } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }
            await #expect { try await engine.searchPosts(vector: [1, 2]) } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }
            let own = try await engine.searchPosts(text: "running", options: .init(k: 100, userID: 2))
            #expect(own.allSatisfy { $0.authorID == 2 })
        }
    }

    @Test("a dense embedder's posts: axes fitted once and stored, codes on them, searches as an exact float32 scan ranks")
    func denseEmbedder() async throws {
        try await EngineFixture.with(creators: 40) { fixture in
            let dense = try DenseEmbedder(dimensions: EngineFixture.dimensions)
            try await PostEmbeddingBackfill(store: fixture.store, embedder: dense).run()
            let projection = try #require(try await fixture.store.postProjection(model: dense.modelID))
            #expect(projection.width == EngineFixture.dimensions)
            let engine = try await PersonalizationEngine.start(
                store: fixture.store, embedder: dense, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let posts = fixture.creators.flatMap(\.posts)
            #expect(engine.postCount == posts.count)
            #expect(engine.postBytes.code <= Double(4 + 4 + EngineFixture.dimensions))

            // Exact float32 scan of the same vectors against the codes, for 20 posts' vectors as queries.
            let vectors = try await dense.embed(posts.map(PostEmbeddingBackfill.document))
            let d = EngineFixture.dimensions
            var found = 0
            for query in stride(from: 0, to: posts.count, by: posts.count / 20).prefix(20) {
                let vector = Array(vectors[query * d..<(query + 1) * d])
                let exact = posts.indices.map { row in (posts[row].id, (0..<d).reduce(Float(0)) { $0 + vectors[row * d + $1] * vector[$1] }) }
                    .sorted { ($0.1, $1.0) > ($1.1, $0.0) }.prefix(10).map(\.0)
                let coded = try await engine.searchPosts(vector: vector, options: .init(k: 10, nprobe: nil))
                found += Set(coded.map(\.postID)).intersection(exact).count
            }
            #expect(Double(found) / 200 >= 0.9, "recall@10 \(Double(found) / 200)")

            // A second backfill keeps the stored axes and finds every post current.
            let again = try await PostEmbeddingBackfill(store: fixture.store, embedder: dense).run()
            #expect(again.embedded == 0)
            #expect(try await fixture.store.postProjection(model: dense.modelID)?.components == projection.components)
        }
    }
}

import Foundation
import ProfileStore
import Testing
import VectorMath

@testable import Personalization

@Suite("Personalization context, against the database")
struct ContextTests {
    @Test("the context follows its contract: schema, cohort, ordering, provenance, diversity")
    func contract() async throws {
        try await EngineFixture.with(creators: 300) { fixture in
            try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(6))).run()
            let engine = try await fixture.engine()
            let context = try await engine.context(for: 4, options: .init(similarCreators: 10, exemplars: 5, tokenBudget: 20_000))
            #expect(context.version == PersonalizationContext.schemaVersion)
            #expect(context.creator.id == 4 && context.creator.handle == fixture.creators[3].user.handle)
            let cohort = try #require(context.cohort)
            #expect(cohort.id == engine.cohort(of: 4)?.cohort.id && !cohort.label.isEmpty)
            #expect(cohort.similarity > 0 && cohort.similarity <= 1.0001)

            // Similar creators: best first, never the creator, the true top 10.
            #expect(context.similarCreators.count == 10 && !context.similarCreators.contains { $0.id == 4 })
            #expect(context.similarCreators.map(\.score) == context.similarCreators.map(\.score).sorted(by: >))
            // Against the naive oracle on the stored rows, not the engine's own search.
            let oracle = BruteForceOracle(try await fixture.store.embeddings())
            let asNeighbors = context.similarCreators.map { Neighbor(id: $0.id, score: Float($0.score)) }
            #expect(oracle.problems(asNeighbors, forUser: 4, k: 10) == [])
            // Their handles (read with the exemplars' posts) are theirs.
            let handles = Dictionary(uniqueKeysWithValues: fixture.creators.map { ($0.user.id, $0.user.handle) })
            #expect(context.similarCreators.allSatisfy { $0.handle == handles[$0.id] })
            #expect(context.exemplars.allSatisfy { $0.authorHandle == handles[$0.authorID] })

            // Exemplars: by similar creators, with true provenance and a consistent breakdown, in MMR order.
            #expect(context.exemplars.count == 5)
            let authors = Set(context.similarCreators.map(\.id))
            let posts = Dictionary(uniqueKeysWithValues: fixture.creators.flatMap(\.posts).map { ($0.id, $0) })
            for exemplar in context.exemplars {
                #expect(authors.contains(exemplar.authorID))
                let post = try #require(posts[exemplar.postID])
                #expect(post.userID == exemplar.authorID && post.text == exemplar.text && post.platform == exemplar.platform)
                let b = exemplar.breakdown
                #expect(abs(exemplar.relevance - b.semantic * b.engagement * b.recency) < 1e-9)
                #expect((0...1).contains(b.engagement) && (0...1).contains(b.recency) && (0...1.0001).contains(b.diversity))
            }
            #expect(context.exemplars.first?.breakdown.diversity == 1)
            #expect(context.exemplars.map(\.score) == context.exemplars.map(\.score).sorted(by: >))
            // Diversity: MMR spreads the five over several authors.
            #expect(Set(context.exemplars.map(\.authorID)).count >= 3)

            #expect(!context.postingTimes.isEmpty && context.style.posts == fixture.creators[3].posts.count)
            #expect(context.budget.dropped.isEmpty && !context.budget.exceeded)
            // Its JSON decodes back to the same JSON.
            let json = context.jsonData()
            #expect(try PersonalizationContext.decode(json).jsonData() == json)
        }
    }

    @Test("a small budget drops the lowest-value items first and fits")
    func budget() async throws {
        try await EngineFixture.with(creators: 120) { fixture in
            try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(4))).run()
            let engine = try await fixture.engine()
            let full = try await engine.context(for: 9, options: .init(tokenBudget: 32_000))
            let budget = full.budget.estimatedTokens * 2 / 3
            let trimmed = try await engine.context(for: 9, options: .init(tokenBudget: budget))
            #expect(trimmed.budget.estimatedTokens <= budget && !trimmed.budget.exceeded)
            #expect((trimmed.budget.dropped["similarCreators"] ?? 0) > 0)
            // Similar creators go first, lowest score first: what is left is the head of the list.
            #expect(trimmed.similarCreators == Array(full.similarCreators.prefix(trimmed.similarCreators.count)))
            #expect(trimmed.exemplars.count >= 1)
            let tiny = try await engine.context(for: 9, options: .init(tokenBudget: 100))
            #expect(tiny.budget.exceeded && tiny.similarCreators.isEmpty && tiny.exemplars.count == 1)
            // Each estimate is exact: ⌈bytes / 4⌉ of the JSON the writer receives, the estimate's own digits included.
            for context in [full, trimmed, tiny] {
                #expect(context.budget.estimatedTokens == (context.jsonData().count + 3) / 4)
            }
        }
    }

    @Test("exact search stays exact once the int8 partition serves it; partitioned recall rises with nprobe")
    func partitioned() async throws {
        try await EngineFixture.with(creators: 200) { fixture in
            let engine = try await fixture.engine()
            // Without a run, exact search scans the float32 index: the reference.
            let users = Array(stride(from: Int64(1), through: 200, by: 7))
            var reference: [Int64: [Int64]] = [:]
            for user in users { reference[user] = try engine.similarCreators(toUser: user, k: 10).map(\.id) }
            try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(5))).run()
            #expect(try await engine.synchronize().switchedRun)
            let oracle = BruteForceOracle(try await fixture.store.embeddings())
            for user in users {
                let hits = try engine.similarCreators(toUser: user, k: 10)
                #expect(hits.map(\.id) == reference[user])
                #expect(oracle.problems(hits, forUser: user, k: 10) == [])
                #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
            }
            // Recall@10 against exact over 40 creators rises with nprobe and is 1 when every cohort is scanned.
            var recalls: [Double] = []
            for nprobe in 1...5 {
                var found = 0
                for user in stride(from: Int64(1), through: 200, by: 5) {
                    let exact = Set(try engine.similarCreators(toUser: user, k: 10).map(\.id))
                    let partitioned = try engine.similarCreators(toUser: user, k: 10, mode: .partitioned(nprobe: nprobe))
                    #expect(partitioned.count == 10)
                    found += partitioned.filter { exact.contains($0.id) }.count
                }
                recalls.append(Double(found) / 400)
            }
            #expect(recalls == recalls.sorted())
            #expect(recalls[4] == 1 && recalls[1] >= 0.8)
            // A cohort filter returns members of that cohort only.
            let members = try engine.similarCreators(toUser: 1, k: 20, cohort: 2)
            #expect(members.allSatisfy { engine.cohort(of: $0.id)?.cohort.id == 2 })
            #expect { try engine.similarCreators(toUser: 1, k: 5, cohort: 9) } throws: { ($0 as? PersonalizationError)?.code == .unknownCohort }
        }
    }

    @Test("unknown creators, creators without posts and bad options")
    func edges() async throws {
        try await EngineFixture.with(creators: 30) { fixture in
            _ = try await fixture.store.importUsers([Numbered(line: 1, record: UserRecord(id: 500, handle: "quiet500", name: "Quiet One", bio: "Just reading"))]
            )
            let engine = try await fixture.engine()
            await #expect { try await engine.context(for: 12_345) } throws: { ($0 as? PersonalizationError)?.code == .unknownUser }
            let quiet = try await engine.context(for: 500)
            #expect(quiet.embedding.refreshed && quiet.style.posts == 0 && quiet.cohort == nil)
            #expect(quiet.similarCreators.count == 10)
            await #expect { try await engine.context(for: 1, options: .init(similarCreators: 0)) } throws: {
                ($0 as? PersonalizationError)?.code == .invalidInput
            }
            await #expect { try await engine.context(for: 1, options: .init(tokenBudget: 10)) } throws: { ($0 as? PersonalizationError)?.code == .invalidInput }
        }
    }
}

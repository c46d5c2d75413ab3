import Foundation
import ProfileStore
import Testing
import VectorMath

@testable import Personalization

@Suite("Cohort rebuild, against the database")
struct CohortRebuildTests {
    @Test("the same seed on the same data gives the same run: cohorts, labels, members")
    func deterministic() async throws {
        try await EngineFixture.with(creators: 300) { a in
            try await EngineFixture.with(creators: 300) { b in
                let parameters = CohortRebuild.Parameters(k: .fixed(6), seed: 9)
                let first = try await CohortRebuild(store: a.store, parameters: parameters).run()
                let second = try await CohortRebuild(store: b.store, parameters: parameters).run()
                #expect(first.cohorts.map(\.label) == second.cohorts.map(\.label))
                #expect(first.cohorts.map(\.size) == second.cohorts.map(\.size))
                #expect(first.objective == second.objective)
                let membersA = try await a.store.cohortMembers(runID: first.runID)
                let membersB = try await b.store.cohortMembers(runID: second.runID)
                #expect(membersA == membersB)
                #expect(first.churn == nil && first.cohorts.map(\.size).reduce(0, +) == 300)
            }
        }
    }

    @Test("labels name the niches, not filler words; traits are filled in")
    func labelsAndTraits() async throws {
        try await EngineFixture.with(creators: 400) { fixture in
            let report = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(8))).run()
            let cohorts = try await fixture.store.cohorts(runID: report.runID)
            let filler: Set<String> = ["the", "and", "about", "this", "with", "week", "what"]
            for cohort in cohorts {
                #expect(!cohort.terms.isEmpty && cohort.terms.allSatisfy { !filler.contains($0) })
                #expect(cohort.label == cohort.terms.prefix(3).joined(separator: " · "))
                let traits = try JSONDecoder.iso8601.decode(CohortTraits.self, from: Data(cohort.traitsJSON.utf8))
                #expect(traits.size == cohort.size && traits.posts > 0)
                #expect(!traits.topHashtags.isEmpty && !traits.platforms.isEmpty)
                #expect(traits.meanSimilarity > 0 && traits.meanSimilarity <= 1)
                // Recommended hours are only those the model is sure beat an average hour, with evidence behind them.
                #expect(
                    traits.bestPostingTimes.allSatisfy {
                        (0..<7).contains($0.weekday) && (0..<24).contains($0.hour) && ($0.low ?? 0) > 1 && ($0.evidence ?? 0) >= 30
                    })
                let strategy = try #require(traits.strategy)
                #expect(strategy.hourEffects.count == 168 && strategy.posts > 0 && strategy.posts <= traits.posts)
                #expect((traits.whatPerforms ?? []).allSatisfy { $0.low > 1 && $0.platform == nil })
            }
            // The generated niches trend in their last week: some cohort must see it.
            let traits = try cohorts.map { try JSONDecoder.iso8601.decode(CohortTraits.self, from: Data($0.traitsJSON.utf8)) }
            #expect(traits.contains { !$0.trendingTopics.isEmpty })
        }
    }

    @Test("a rerun with a few profiles changed keeps cohort ids; the engine switches without a restart")
    func stableIDs() async throws {
        try await EngineFixture.with(creators: 300) { fixture in
            let engine = try await fixture.engine()
            let first = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(6))).run()
            #expect(try await engine.synchronize().switchedRun)
            #expect(engine.status.cohortRunID == first.runID)
            let before = try await fixture.store.cohortMembers(runID: first.runID)

            // Five creators get another creator's embedding.
            let donor = try #require(engine.embedding(of: 1))
            try await fixture.store.writeEmbeddings(
                EmbeddingRows(
                    userIDs: [2, 3, 4, 5, 6], vectors: Matrix(columns: EngineFixture.dimensions, values: Array((0..<5).map { _ in donor }.joined())),
                    model: "test", contentHashes: Array(repeating: [0], count: 5)
                ))
            // Warm-started from the active run (the default).
            let second = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(6))).run()
            #expect(second.warmStarted)
            let after = try await fixture.store.cohortMembers(runID: second.runID)
            let same = zip(before.cohorts, after.cohorts).filter { $0 == $1 }.count
            #expect(Double(same) / Double(before.cohorts.count) > 0.95)
            #expect((second.churn ?? 1) < 0.05)
            #expect(try await engine.synchronize().switchedRun)
            #expect(engine.status.cohortRunID == second.runID)
            #expect(engine.cohort(of: 3)?.cohort.id == engine.cohort(of: 1)?.cohort.id)
        }
    }

    @Test("a run that fails while being written leaves the previous run active and nothing of itself")
    func atomicSwitch() async throws {
        try await EngineFixture.with(creators: 80) { fixture in
            let first = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(4))).run()
            let centroid = [Float](repeating: 1 / Float(EngineFixture.dimensions).squareRoot(), count: EngineFixture.dimensions)
            // Creator 999,999 does not exist: the member COPY fails after the run and its cohorts were inserted.
            let broken = NewCohortRun(
                model: "test", parametersJSON: "{}", statsJSON: "{}", objective: 0.5, iterations: 1,
                cohorts: [CohortRecord(cohort: 0, centroid: centroid, size: 2, label: "x", terms: [], traitsJSON: "{}")],
                members: CohortMembers(userIDs: [1, 999_999], cohorts: [0, 0], similarities: [0.5, 0.5])
            )
            await #expect(throws: ProfileStoreError.self) { try await fixture.store.writeCohortRun(broken) }
            #expect(try await fixture.store.activeCohortRunID() == first.runID)
            let runs = try await fixture.store.cohortRuns()
            #expect(runs.count == 1)
            #expect(try await fixture.store.cohortMembers(runID: first.runID).userIDs.count == 80)
        }
    }

    @Test("bad k, too few creators, and a second rebuild at once are refused")
    func refusals() async throws {
        try await EngineFixture.with(creators: 20) { fixture in
            await #expect { try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(0))).run() } throws: {
                ($0 as? PersonalizationError)?.code == .invalidInput
            }
            await #expect { try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(21))).run() } throws: {
                ($0 as? PersonalizationError)?.code == .invalidInput
            }
            await #expect { try await CohortRebuild(store: fixture.store, parameters: .init(k: .auto)).run() } throws: {
                ($0 as? PersonalizationError)?.code == .invalidInput
            }
            let lock = try #require(try await fixture.store.tryLock("cohorts.rebuild"))
            await #expect { try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(2))).run() } throws: {
                ($0 as? PersonalizationError)?.code == .rebuildInProgress
            }
            await lock.release()
            let report = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(2))).run()
            #expect(report.k == 2)
            #expect(try await fixture.store.activeCohortRunID() == report.runID)
        }
    }

    @Test("--k auto compares candidates by silhouette and keeps the best")
    func autoK() async throws {
        try await EngineFixture.with(creators: 200) { fixture in
            let report = try await CohortRebuild(store: fixture.store, parameters: .init(k: .auto)).run()
            #expect(report.kScores.map(\.k).sorted() == [4, 8, 12, 16, 20])
            #expect(report.k == report.kScores[0].k)
            #expect(report.kScores.allSatisfy { $0.silhouette <= report.kScores[0].silhouette })
        }
    }

    @Test("the map draws every sampled creator and labels every cohort")
    func map() async throws {
        try await EngineFixture.with(creators: 150) { fixture in
            await #expect { try await CohortMap.build(store: fixture.store) } throws: { ($0 as? PersonalizationError)?.code == .notReady }
            let report = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(5))).run()
            let svg = try await CohortMap.build(store: fixture.store, parameters: .init(sampleSize: 100)).svg()
            #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
            // 100 creators plus one legend dot per cohort.
            #expect(svg.components(separatedBy: "<circle").count - 1 == 100 + 5)
            for cohort in report.cohorts {
                #expect(svg.contains("\(cohort.id) · \(cohort.label.replacingOccurrences(of: "&", with: "&amp;"))"))
            }
            // No two labels overlap (14 px bold: about 8.7 px a character, 19 px a line).
            let labels = svg.matches(of: /<text x="(\d+)" y="(\d+)" text-anchor="middle"[^>]*>([^<]*)<\/text>/).map {
                (x: Double($0.1)!, y: Double($0.2)!, width: Double($0.3.count) * 14 * 0.62 + 10)
            }
            #expect(labels.count == 5)
            for (i, a) in labels.enumerated() {
                for b in labels[(i + 1)...] {
                    #expect(abs(a.y - b.y) >= 14 * 1.35 || abs(a.x - b.x) >= (a.width + b.width) / 2, "\(a) overlaps \(b)")
                }
            }
        }
    }

    @Test("with no embeddings a rebuild says what to do")
    func empty() async throws {
        try await EngineFixture.with(creators: 5, embed: false) { fixture in
            await #expect { try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(2))).run() } throws: {
                ($0 as? PersonalizationError)?.code == .notReady
            }
        }
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

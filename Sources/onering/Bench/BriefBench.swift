import ArgumentParser
import Embedding
import Foundation
import Personalization
import ProfileStore
import SampleData
import VectorMath

/// `onering bench brief`: whether brief-aware contexts answer the brief, what the compact post
/// vectors lose against float32, and what posts cost to embed, hold and search.
struct BriefBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brief",
        abstract: "Brief-aware contexts against the generator's post topics; compact post vectors against float32; post embedding and search speed.",
        discussion: "Works in the schema onering_bench_brief, rebuilt each run with --creators generated creators."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Generated creators.") var creators: Int = 5_000
    @Option(help: "Seed of the generated creators and of the cases.") var seed: UInt64 = 42
    @Option(name: .short, help: "Cohorts of the rebuild.") var k: Int = 20
    @Option(help: "Creators asked for a context with a brief.") var cases: Int = 200

    func validate() throws {
        guard creators >= 100, (1...creators / 10).contains(k), (1...creators).contains(cases) else {
            throw ValidationError("need --creators ≥ 100, -k in 1...creators/10, --cases in 1...creators")
        }
    }

    func run() async throws {
        let profileStore = try await store.freshBenchmarkStore(schema: "onering_bench_brief")
        let generated = CreatorGenerator(configuration: .init(creators: creators, seed: seed)).generate()
        _ = try await profileStore.importUsers(generated.map { Numbered(line: Int($0.user.id), record: $0.user) })
        let allPosts = generated.flatMap(\.posts)
        for start in stride(from: 0, to: allPosts.count, by: 20_000) {
            let slice = allPosts[start..<min(start + 20_000, allPosts.count)]
            _ = try await profileStore.importPosts(slice.map { Numbered(line: 1, record: $0) })
        }
        let embedder = try HashingEmbedder(configuration: .init(dimensions: store.dimensions))
        try await EmbeddingBackfill(store: profileStore, embedder: embedder).run()
        var started = now()
        let embedded = try await PostEmbeddingBackfill(store: profileStore, embedder: embedder).run()
        let embedSeconds = now() - started
        print(
            "embed --posts: \(embedded.embedded) posts in \(embedSeconds.fixed(1)) s, \((Double(embedded.embedded) / embedSeconds).fixed(0)) posts/s (hashing embedder, read + embed + write)"
        )
        _ = try await CohortRebuild(store: profileStore, parameters: .init(k: .fixed(k), warmStart: false)).run()
        started = now()
        let engine = try await PersonalizationEngine.start(store: profileStore, embedder: embedder, logger: commandLogger("onering.bench"))
        let bytes = engine.postBytes
        print(
            "engine start: \(engine.status.creators) creators, \(engine.postCount) posts in \((now() - started).fixed(2)) s; per post in memory: code \(bytes.code.fixed(0)) B, terms \(bytes.terms.fixed(0)) B, \(bytes.total.fixed(0)) B in all (budget ≤ 320)"
        )

        let check = BriefQualityCheck(creators: generated, count: cases, seed: seed) { engine.cohort(of: $0)?.cohort.traits.trendingTopics.first?.topic }
        for (name, answers) in [("without the brief (schema 1.1)", false), ("brief-aware", true)] {
            var latencies: [Double] = []
            let result = try await check.share { item in
                var options = PersonalizationEngine.ContextOptions()
                options.brief = item.brief
                options.answersBrief = answers
                let begun = now()
                let context = try await engine.context(for: item.userID, options: options)
                latencies.append(now() - begun)
                return context.exemplars.map(\.topics)
            }
            let sorted = Latencies(latencies)
            print(
                "context \(name): \(result.share.fixed(3)) of \(result.exemplars) exemplars on the brief's topic over \(check.cases.count) creators; p50 \((sorted.percentile(50) * 1_000).fixed(2)) ms, p99 \((sorted.percentile(99) * 1_000).fixed(2)) ms"
            )
        }
        try await compactRecall(engine: engine, embedder: embedder, posts: allPosts, check: check)
    }

    /// Recall@10 of post search on the compact codes against an exact float32 scan of the same
    /// posts' full vectors, for each case's brief within the creator's cohort; and its speed.
    private func compactRecall(engine: PersonalizationEngine, embedder: HashingEmbedder, posts: [PostRecord], check: BriefQualityCheck) async throws {
        let dimensions = embedder.dimensions
        let vectors = try await embedder.embed(posts.map(PostEmbeddingBackfill.document))
        let members = Dictionary(grouping: posts.indices) { engine.cohort(of: posts[$0].userID)?.cohort.id ?? -1 }
        var found = 0, wanted = 0
        var latencies: [Double] = []
        for item in check.cases {
            guard let cohort = engine.cohort(of: item.userID)?.cohort.id else { continue }
            let query = try await embedder.embed([ProfileDocument(name: "", bio: "", posts: [.init(text: item.brief, publishedAt: Date())])])
            let exact = vectors.withUnsafeBufferPointer { all in
                (members[cohort] ?? []).map { row in
                    (id: posts[row].id, score: (0..<dimensions).reduce(Float(0)) { $0 + all[row * dimensions + $1] * query[$1] })
                }
                .sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(10).map(\.id)
            }
            let begun = now()
            let hits = try await engine.searchPosts(vector: query, options: .init(k: 10, cohort: cohort))
            latencies.append(now() - begun)
            found += Set(hits.map(\.postID)).intersection(exact).count
            wanted += exact.count
        }
        let sorted = Latencies(latencies)
        print(
            "post search by vector within a cohort: recall@10 of the compact codes against float32 \((Double(found) / Double(max(wanted, 1))).fixed(3)) over \(latencies.count) briefs; p50 \((sorted.percentile(50) * 1_000).fixed(2)) ms, p99 \((sorted.percentile(99) * 1_000).fixed(2)) ms"
        )
        latencies = []
        for item in check.cases {
            let begun = now()
            _ = try await engine.searchPosts(text: item.brief)
            latencies.append(now() - begun)
        }
        let text = Latencies(latencies)
        print(
            "post search by text (nprobe 3 cohorts): p50 \((text.percentile(50) * 1_000).fixed(2)) ms, p99 \((text.percentile(99) * 1_000).fixed(2)) ms"
        )
    }
}

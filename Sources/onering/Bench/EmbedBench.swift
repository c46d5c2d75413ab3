import ArgumentParser
import Embedding
import Foundation
import Personalization
import ProfileStore
import SampleData
import VectorMath

/// `onering bench embed`: hashing-embedder speed, the niche share of nearest
/// neighbours on the sample creators, and (optionally) a backfill into PostgreSQL.
struct EmbedBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embedding: profiles/s on one core, neighbour niche share@k, and a PostgreSQL backfill (--backfill N)."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Generated creators for speed and quality (the committed sample: 5000, seed 42).") var creators: Int = 5_000
    @Option(help: "Seed of the generated creators.") var seed: UInt64 = 42
    @Option(name: .short, help: "Neighbours per creator.") var k: Int = 10
    @Option(help: "Creators to backfill into PostgreSQL end to end (0: skip).") var backfill: Int = 0

    func validate() throws {
        guard creators > k, k > 0, backfill >= 0 else { throw ValidationError("need --creators > -k > 0 and --backfill ≥ 0") }
    }

    func run() async throws {
        let generated = CreatorGenerator(configuration: .init(creators: creators, seed: seed)).generate()
        let documents = generated.map {
            EmbeddingBackfill.document(user: $0.user, posts: $0.posts, postLimit: ProfileDocument.defaultPostLimit)
        }
        let mainNiche = generated.map { $0.niches[0] }
        let plain = try HashingEmbedder(configuration: .init(dimensions: store.dimensions))
        var started = now()
        let vectors = try await plain.embed(documents)
        let seconds = now() - started
        print(
            "hashing embedder: \(creators) profiles in \(seconds.fixed(2)) s, \((Double(creators) / seconds).fixed(0)) profiles/s on one core (target ≥ 5,000)")

        let backend = try BLASBackend.shared()
        print(
            "niche share@\(k) (hashing): \(try nicheShare(vectors, labels: mainNiche, backend: backend).fixed(3)) (share of each creator's \(k) nearest neighbours with its main niche, averaged; target ≥ 0.80)"
        )
        let idf = InverseDocumentFrequency(documents: documents, configuration: plain.configuration)
        let weighted = try HashingEmbedder(configuration: .init(dimensions: store.dimensions, idf: idf))
        let weightedVectors = try await weighted.embed(documents)
        print("niche share@\(k) (hashing + IDF from the corpus): \(try nicheShare(weightedVectors, labels: mainNiche, backend: backend).fixed(3))")

        guard backfill > 0 else { return }
        let profileStore = try await store.freshBenchmarkStore(schema: "onering_bench_embed")
        started = now()
        let generator = CreatorGenerator(configuration: .init(creators: backfill, seed: seed))
        for start in stride(from: 0, to: backfill, by: 5_000) {
            let batch = (start..<min(start + 5_000, backfill)).map(generator.creator)
            _ = try await profileStore.importUsers(batch.map { Numbered(line: Int($0.user.id), record: $0.user) })
            let posts = batch.flatMap(\.posts).enumerated().map { Numbered(line: $0.offset + 1, record: $0.element) }
            for postStart in stride(from: 0, to: posts.count, by: 20_000) {
                _ = try await profileStore.importPosts(Array(posts[postStart..<min(postStart + 20_000, posts.count)]))
            }
        }
        print("backfill set-up: imported \(backfill) creators with their posts in \((now() - started).fixed(1)) s")
        let run = EmbeddingBackfill(store: profileStore, embedder: plain)
        started = now()
        let first = try await run.run()
        let firstSeconds = now() - started
        print(
            "backfill: \(first.embedded) profiles read, embedded and written in \(firstSeconds.fixed(1)) s, \((Double(first.embedded) / firstSeconds).fixed(0)) profiles/s (target for 100,000: ≤ 60 s)"
        )
        started = now()
        let second = try await run.run()
        print("backfill rerun: \(second.embedded) embedded, \(second.current) current, \((now() - started).fixed(1)) s")
        try await profileStore.dropSchema(ifMarked: StoreOptions.benchmarkMark)
    }

    /// The mean share of each row's k nearest other rows that carry its label.
    private func nicheShare(_ vectors: [Float], labels: [String], backend: BLASBackend) throws -> Double {
        let matrix = Matrix<Float>(columns: store.dimensions, values: vectors)
        let neighbours = try vectors.withUnsafeBufferPointer { queries in
            try ExactSearch.search(queries: queries, in: matrix, parameters: .init(k: k + 1), backend: backend)
        }
        var total = 0.0
        for (row, list) in neighbours.enumerated() {
            let others = list.filter { $0.id != Int64(row) }.prefix(k)
            total += Double(others.filter { labels[Int($0.id)] == labels[row] }.count) / Double(others.count)
        }
        return total / Double(labels.count)
    }
}

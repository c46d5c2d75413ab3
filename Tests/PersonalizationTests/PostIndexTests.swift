import Foundation
import Testing
import VectorMath

@testable import Personalization

@Suite("Post index: scores against a naive oracle through changes, compaction and its snapshot")
struct PostIndexTests {
    static let dimensions = 64

    /// A stored post as the oracle keeps it.
    struct Post {
        var author: Int64
        var minute: Int32
        var code: SparseCode
        var terms: [UInt32]
    }

    /// Upserts `post` as the change feed does (code bytes, terms as UInt32 LE).
    static func upsert(_ id: Int64, _ post: Post, into index: inout PostIndex) {
        let termBytes = post.terms.flatMap { term in (0..<4).map { UInt8(truncatingIfNeeded: term >> (8 * $0)) } }
        let stored = post.code.bytes.withUnsafeBytes { code in
            termBytes.withUnsafeBytes { terms in
                index.upsert(
                    postID: id, authorID: post.author, publishedAt: Date(timeIntervalSince1970: Double(post.minute) * 60), engagementRate: 0.25,
                    code: code, terms: terms)
            }
        }
        #expect(stored)
    }

    static func post(author: Int64, random: inout SplitMix64) -> Post {
        var vector = [Float](repeating: 0, count: dimensions)
        for _ in 0..<6 { vector[Int(random.next() % UInt64(dimensions))] = Float(Int(random.next() % 200)) / 100 - 1 }
        vector[0] += 0.1
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let unit = vector.map { $0 / norm }
        let terms = (0..<Int(random.next() % 8)).map { _ in UInt32(random.next() % 12) }.sorted()
        return Post(author: author, minute: Int32(random.next() % 1_000), code: unit.withUnsafeBufferPointer { SparseCode($0) }, terms: terms)
    }

    /// The hits the index should give: every live post of `authors` in `minutes`, cosine of its
    /// code and BM25 over the live posts' statistics, computed here from scratch.
    static func expected(_ live: [Int64: Post], query: PostIndex.Query, authors: Set<Int64>, minutes: ClosedRange<Int32>) -> [Int64: (Double, Double)] {
        let documents = Double(live.count)
        let averageLength = Double(live.values.reduce(0) { $0 + $1.terms.count }) / documents
        let queryTerms = Set(query.terms)
        var hits: [Int64: (Double, Double)] = [:]
        for (id, post) in live where authors.contains(post.author) && minutes.contains(post.minute) {
            let semantic = Double(query.vector.withUnsafeBufferPointer { post.code.dot($0) })
            var lexical = 0.0
            for term in queryTerms {
                let frequency = Double(post.terms.count { $0 == term })
                guard frequency > 0 else { continue }
                let containing = Double(live.values.count { $0.terms.contains(term) })
                let weight = log(1 + (documents - containing + 0.5) / (containing + 0.5))
                let norm = PostIndex.k1 * (1 - PostIndex.b + PostIndex.b * Double(post.terms.count) / averageLength)
                lexical += weight * frequency * (PostIndex.k1 + 1) / (frequency + norm)
            }
            hits[id] = (semantic, lexical)
        }
        return hits
    }

    static func check(_ index: PostIndex, against live: [Int64: Post], query: PostIndex.Query, authors: Set<Int64>) {
        let window = Date(timeIntervalSince1970: 100 * 60)...Date(timeIntervalSince1970: 700 * 60)
        let hits = index.score(query, authors: authors, window: window, keepUnmatched: true)
        let expected = expected(live, query: query, authors: authors, minutes: 100...700)
        #expect(hits.count == expected.count && Set(hits.map(\.postID)) == Set(expected.keys))
        for hit in hits {
            guard let (semantic, lexical) = expected[hit.postID], let post = live[hit.postID] else { continue }
            #expect(abs(hit.semantic - semantic) < 1e-5 && abs(hit.lexical - lexical) < 1e-9, "post \(hit.postID)")
            #expect(hit.authorID == post.author && hit.publishedAt == Date(timeIntervalSince1970: Double(post.minute) * 60) && hit.engagementRate == 0.25)
        }
    }

    @Test("scores match the oracle after upserts, replacements and removals, after compaction and after a snapshot round trip")
    func scoresMatchTheOracle() throws {
        var random = SplitMix64(seed: 7)
        var index = PostIndex()
        var live: [Int64: Post] = [:]
        for id in Int64(1)...1_500 {
            let post = Self.post(author: id % 40, random: &random)
            Self.upsert(id, post, into: &index)
            live[id] = post
        }
        // Replacements (some move to another author) and removals, enough to trigger a compaction.
        for id in stride(from: Int64(3), through: 1_500, by: 7) {
            let post = Self.post(author: (id * 13) % 40, random: &random)
            Self.upsert(id, post, into: &index)
            live[id] = post
        }
        for id in stride(from: Int64(2), through: 1_500, by: 5) {
            index.remove(id)
            live[id] = nil
        }
        #expect(index.count == live.count)
        var unit = [Float](repeating: 0, count: Self.dimensions)
        for (position, value) in [(0, 0.6), (5, -0.3), (17, 0.5), (40, 0.55)] { unit[position] = Float(value) }
        let query = PostIndex.Query(vector: unit, terms: [3, 7, 7, 11], unit: unit)
        let authors: Set<Int64> = [0, 1, 5, 13, 39, 77]
        Self.check(index, against: live, query: query, authors: authors)

        var compacted = index
        compacted.compact()
        #expect(compacted.deadSlots == 0 && compacted.fields.count == live.count)
        Self.check(compacted, against: live, query: query, authors: authors)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("post-index-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try index.save(to: path)
        let loaded = try PostIndex.load(from: path)
        #expect(loaded.fields == compacted.fields && loaded.count == live.count)
        Self.check(loaded, against: live, query: query, authors: authors)
    }
}

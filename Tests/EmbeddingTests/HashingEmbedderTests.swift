import Embedding
import Foundation
import Testing

@Suite("Hashing embedder")
struct HashingEmbedderTests {
    static func document(_ bio: String, _ posts: [String], hashtags: [String] = []) -> ProfileDocument {
        ProfileDocument(
            name: "Creator", bio: bio,
            posts: posts.enumerated().map { index, text in
                .init(text: text, hashtags: hashtags, publishedAt: Date(timeIntervalSince1970: Double(index) * 3600))
            })
    }

    static let ai = document("I build AI agents and write about LLM evals.", ["Shipping an agent needs evals #ai", "Fine-tuning vs RAG for LLM apps"])
    static let ai2 = document("ML engineer: LLM apps, agents, evals.", ["RAG pipelines and agent evals", "Which LLM for agents? #ai"])
    static let cooking = document(
        "Home cook. Sourdough, braises, weeknight pasta.", ["My sourdough starter schedule #baking", "A 20-minute pasta for weeknights"])

    static func embed(_ documents: [ProfileDocument], _ configuration: HashingEmbedder.Configuration = .init(dimensions: 256)) async throws -> [[Float]] {
        let embedder = try HashingEmbedder(configuration: configuration)
        let flat = try await embedder.embed(documents)
        return (0..<documents.count).map { Array(flat[$0 * embedder.dimensions..<($0 + 1) * embedder.dimensions]) }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    @Test("vectors are unit length and finite, and the same input gives the same bits")
    func normalisedAndDeterministic() async throws {
        let first = try await Self.embed([Self.ai, Self.cooking])
        let second = try await Self.embed([Self.ai, Self.cooking])
        #expect(first.map { $0.map(\.bitPattern) } == second.map { $0.map(\.bitPattern) })
        for vector in first {
            #expect(vector.allSatisfy { $0.isFinite })
            #expect(abs(Self.cosine(vector, vector) - 1) < 1e-5)
        }
    }

    @Test("hashing is stable across builds: a fixed profile's vector does not drift")
    func stability() async throws {
        let vector = try await Self.embed([Self.ai])[0]
        let fingerprint = vector.enumerated().reduce(0.0) { $0 + Double($1.offset + 1) * Double($1.element) }
        #expect(abs(fingerprint - Self.recordedFingerprint) < 1e-3, "fingerprint \(fingerprint)")
        #expect(try HashingEmbedder(configuration: .init(dimensions: 256)).modelID == "onering-hashing-v1-256")
    }
    /// Recorded when `onering-hashing-v1` was written; a change means stored vectors no longer match new ones.
    static let recordedFingerprint = -249.65666191279888

    @Test("profiles of one niche are nearer each other than another niche's")
    func niches() async throws {
        let vectors = try await Self.embed([Self.ai, Self.ai2, Self.cooking], .init())
        #expect(Self.cosine(vectors[0], vectors[1]) > Self.cosine(vectors[0], vectors[2]) + 0.1)
        #expect(Self.cosine(vectors[1], vectors[0]) > Self.cosine(vectors[1], vectors[2]) + 0.1)
    }

    @Test("case does not matter, and a #tag in a post counts as the hashtag field")
    func normalisation() async throws {
        let vectors = try await Self.embed([
            Self.document("AI Agents", ["Shipping EVALS"]), Self.document("ai agents", ["shipping evals"]),
            Self.document("bio", ["launch day #Rust"]), Self.document("bio", ["launch day"], hashtags: ["rust"]),
        ])
        #expect(vectors[0] == vectors[1])
        #expect(vectors[2] == vectors[3])
    }

    @Test(
        "empty profiles, emoji, control characters and very long bios give unit vectors",
        arguments: [
            ProfileDocument(name: "", bio: "", posts: []),
            ProfileDocument(name: "   ", bio: "\u{0}\u{7}\t\n", posts: []),
            ProfileDocument(name: "🚀🔥", bio: "café — naïve 東京 ✨", posts: []),
            ProfileDocument(name: "Long", bio: String(repeating: "sourdough baking bread ", count: 20_000), posts: []),
        ])
    func awkwardInput(document: ProfileDocument) async throws {
        let vector = try await Self.embed([document])[0]
        #expect(vector.allSatisfy { $0.isFinite })
        #expect(abs(Self.cosine(vector, vector) - 1) < 1e-4)
    }

    @Test("profiles with no words share one documented vector")
    func emptyProfiles() async throws {
        let vectors = try await Self.embed([ProfileDocument(name: "", bio: "", posts: []), ProfileDocument(name: "!", bio: "…?", posts: [])])
        #expect(vectors[0] == vectors[1])
        #expect(vectors[0].filter { $0 != 0 }.count == 1)
    }

    @Test("IDF learned from a corpus changes the vectors and the model id")
    func idf() async throws {
        let corpus = [Self.ai, Self.ai2, Self.cooking]
        let plain = HashingEmbedder.Configuration(dimensions: 256)
        let idf = InverseDocumentFrequency(documents: corpus, configuration: plain)
        #expect(idf.documentCount == 3 && idf.weights.count == 256)
        #expect(idf.weights.allSatisfy { $0 >= 1 })
        let weighted = HashingEmbedder.Configuration(dimensions: 256, idf: idf)
        #expect(try HashingEmbedder(configuration: weighted).modelID != HashingEmbedder(configuration: plain).modelID)
        let (a, b) = (try await Self.embed([Self.ai], plain)[0], try await Self.embed([Self.ai], weighted)[0])
        #expect(a != b)
        let decoded = try JSONDecoder().decode(InverseDocumentFrequency.self, from: JSONEncoder().encode(idf))
        #expect(decoded == idf)
    }

    @Test("bad settings are refused")
    func badConfiguration() {
        #expect(throws: EmbeddingError.self) { try HashingEmbedder(configuration: .init(dimensions: 1)) }
        let idf = InverseDocumentFrequency(documents: [Self.ai], configuration: .init(dimensions: 8))
        #expect(throws: EmbeddingError.self) { try HashingEmbedder(configuration: .init(dimensions: 16, idf: idf)) }
    }

    @Test("a cancelled task stops embedding")
    func cancellation() async throws {
        let embedder = try HashingEmbedder()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await embedder.embed(Array(repeating: Self.ai, count: 1000))
        }
        let result = await task.result
        #expect(throws: EmbeddingError.self) { try result.get() }
    }
}

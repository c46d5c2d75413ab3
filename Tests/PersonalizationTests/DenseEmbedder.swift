import Embedding
import VectorMath

/// A dense embedder for tests: the hashing embedder's vectors reflected through a fixed random
/// hyperplane (a Householder reflection, x − 2·v·(v·x)/(v·v)): every component non-zero, as an
/// HTTP model's, and every dot product kept, so the same texts stay as near as they were.
struct DenseEmbedder: Embedder {
    let base: HashingEmbedder
    /// The hyperplane's normal, unit length.
    let normal: [Float]

    init(dimensions: Int) throws {
        base = try HashingEmbedder(configuration: .init(dimensions: dimensions))
        var random = SplitMix64(seed: 11)
        let gaussian = (0..<dimensions).map { _ in random.nextGaussian() }
        let norm = gaussian.reduce(0) { $0 + $1 * $1 }.squareRoot()
        normal = gaussian.map { $0 / norm }
    }

    var modelID: String { base.modelID + "-reflected" }
    var dimensions: Int { base.dimensions }

    func embed(_ documents: [ProfileDocument]) async throws(EmbeddingError) -> [Float] {
        var vectors = try await base.embed(documents)
        let d = dimensions
        for document in 0..<documents.count {
            let projection = (0..<d).reduce(Float(0)) { $0 + vectors[document * d + $1] * normal[$1] }
            for index in 0..<d { vectors[document * d + index] -= 2 * projection * normal[index] }
        }
        return vectors
    }
}

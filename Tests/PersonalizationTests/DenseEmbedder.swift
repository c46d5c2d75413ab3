import Embedding
import VectorMath

/// A dense embedder for tests: the hashing embedder's vectors turned by a fixed random rotation
/// (every component non-zero, as an HTTP model's), so the same texts stay as near as they were.
struct DenseEmbedder: Embedder {
    let base: HashingEmbedder
    /// A random orthogonal matrix (Gram–Schmidt of a seeded Gaussian one), row-major.
    let rotation: [Float]

    init(dimensions: Int) throws {
        base = try HashingEmbedder(configuration: .init(dimensions: dimensions))
        var random = SplitMix64(seed: 11)
        var rows: [[Float]] = []
        for _ in 0..<dimensions {
            var row = (0..<dimensions).map { _ in Float(random.nextGaussian()) }
            for previous in rows {
                let projection = zip(row, previous).reduce(0) { $0 + $1.0 * $1.1 }
                row = zip(row, previous).map { $0 - projection * $1 }
            }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            rows.append(row.map { $0 / norm })
        }
        rotation = rows.flatMap { $0 }
    }

    var modelID: String { base.modelID + "-rotated" }
    var dimensions: Int { base.dimensions }

    func embed(_ documents: [ProfileDocument]) async throws(EmbeddingError) -> [Float] {
        let sparse = try await base.embed(documents)
        let d = dimensions
        var dense = [Float](repeating: 0, count: sparse.count)
        for document in 0..<documents.count {
            for row in 0..<d {
                var sum: Float = 0
                for column in 0..<d { sum += rotation[row * d + column] * sparse[document * d + column] }
                dense[document * d + row] = sum
            }
        }
        return dense
    }
}

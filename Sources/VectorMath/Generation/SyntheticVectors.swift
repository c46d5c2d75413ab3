/// Seeded random unit vectors for benchmarks and tests: uniform on the sphere, or
/// grouped around random centres like real embeddings.
public struct SyntheticVectors: Sendable {
    /// The vectors' dimension.
    public var dims: Int
    /// Number of cluster centres; 0 for uniform directions.
    public var clusters: Int
    /// Spread of points around their centre, relative to the centre's unit length.
    public var spread: Float
    /// Seed; the same seed gives the same vectors.
    public var seed: UInt64

    /// A generator of `dims`-dimensional vectors.
    public init(dims: Int, clusters: Int = 0, spread: Float = 0.6, seed: UInt64 = 42) {
        precondition(dims > 0 && clusters >= 0)
        self.dims = dims
        self.clusters = clusters
        self.spread = spread
        self.seed = seed
    }

    /// `count` unit vectors, row-major; `stream` selects an independent sequence
    /// (base vectors and queries come from different streams of one seed).
    public func generate(count: Int, stream: UInt64 = 0) -> Matrix<Float> {
        var centreGenerator = SplitMix64(seed: seed)
        let centres = (0..<clusters).map { _ in (0..<dims).map { _ in centreGenerator.nextGaussian() } }
        var generator = SplitMix64(seed: seed ^ (0x9E37_79B9 &* (stream &+ 1)))
        var matrix = Matrix<Float>(columns: dims, capacity: count)
        let noise = clusters == 0 ? Float(1) : spread
        matrix.appendRows(count: count) { destination in
            for r in 0..<count {
                let row = destination + r * dims
                let centre = clusters == 0 ? nil : centres[Int(generator.next() % UInt64(clusters))]
                var norm: Float = 0
                for j in 0..<dims {
                    let value = (centre?[j] ?? 0) + noise * generator.nextGaussian()
                    row[j] = value
                    norm += value * value
                }
                let scale = 1 / max(norm.squareRoot(), .leastNormalMagnitude)
                for j in 0..<dims { row[j] *= scale }
            }
        }
        return matrix
    }
}

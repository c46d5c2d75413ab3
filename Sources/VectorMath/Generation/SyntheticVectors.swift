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

    /// Rows per block of generation: each block draws from a generator of its own, seeded
    /// from the seed, the stream and the block's number, so the vectors are the same bits
    /// whatever the number of threads.
    static let blockRows = 4_096

    /// `count` unit vectors, row-major; `stream` selects an independent sequence (base vectors
    /// and queries come from different streams of one seed). Blocks of rows are generated on
    /// `threads` workers (default: every core).
    public func generate(count: Int, stream: UInt64 = 0, threads: Int = CPUFeatures.current.activeCores) -> Matrix<Float> {
        let (dims, clusters) = (self.dims, self.clusters)
        var centreGenerator = SplitMix64(seed: seed)
        let centres = (0..<clusters).map { _ in (0..<dims).map { _ in centreGenerator.nextGaussian() } }
        let streamSeed = seed ^ (0x9E37_79B9 &* (stream &+ 1))
        var matrix = Matrix<Float>(columns: dims, capacity: count)
        let noise = clusters == 0 ? Float(1) : spread
        matrix.appendRows(count: count) { destination in
            nonisolated(unsafe) let destination = destination
            ParallelBlocks.forEach(count: count, blockSize: Self.blockRows, threads: threads) { _, range in
                var generator = SplitMix64(seed: streamSeed ^ (UInt64(range.lowerBound / Self.blockRows) &* 0xD1B5_4A32_D192_ED03))
                for r in range {
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
        }
        return matrix
    }
}

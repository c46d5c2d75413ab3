/// The k-means++ draw: a point with probability proportional to its weight (its squared
/// distance to the nearest centre), through per-block totals instead of a running sum over
/// every point.
struct SeedingWeights {
    /// The weights' sum per block of ``blockSize`` points, and in all.
    let blockTotals: [Double]
    let total: Double
    private let blockSize: Int

    init(_ weights: [Float], blockSize: Int) {
        self.blockSize = blockSize
        blockTotals = stride(from: 0, to: weights.count, by: blockSize).map { start in
            weights[start..<min(weights.count, start + blockSize)].reduce(0.0) { $0 + Double($1) }
        }
        total = blockTotals.reduce(0, +)
    }

    /// The point at `fraction` (in 0..<1) of the total weight: the first whose running sum passes
    /// it. Where rounding leaves the running sum short at the very end: the last point with a weight.
    func draw(_ fraction: Double, weights: [Float]) -> Int {
        var target = fraction * total
        var block = 0
        while block < blockTotals.count - 1 && target >= blockTotals[block] {
            target -= blockTotals[block]
            block += 1
        }
        var running = 0.0
        for i in block * blockSize..<min(weights.count, (block + 1) * blockSize) {
            running += Double(weights[i])
            if running > target { return i }
        }
        return weights.lastIndex { $0 > 0 }!
    }
}

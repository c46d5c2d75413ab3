import Foundation

extension KMeans {
    /// The points k-means++ seeds from by default: min(n, max(64·k, 16,384)). Each step reads the
    /// whole sample, so its size is the seeding's cost (at 256·k, the size this replaced, seeding
    /// 100,000 × 1536 points into k = 256 clusters took 6.5 s of a 9.2 s run); at 16,384 points
    /// the sums of squares after 20 iterations were within 0.01 % of the larger sample's.
    public static func defaultSeedingSampleSize(points: Int, k: Int) -> Int { min(points, max(64 * k, 16_384)) }

    /// Greedy k-means++ (Arthur & Vassilvitskii 2007, with the greedy choice of
    /// scikit-learn): each step draws 2 + ⌊ln k⌋ candidates with probability
    /// proportional to their squared distance to the nearest chosen centre, and
    /// keeps the one that lowers the total squared distance most.
    ///
    /// Runs on a seeded sample of `seedingSampleSize` points (default
    /// ``defaultSeedingSampleSize(points:k:)``). Each step reads the whole sample, and reading
    /// it is the step's cost: the distances come from the sample's int8 codes
    /// (``SeedingDistances``), a quarter of float32's bytes. The same seed gives the same centres
    /// whatever the thread count and the CPU.
    ///
    /// - Throws: ``VectorMathError/Code/invalidArgument`` when the points have fewer
    ///   than k distinct values.
    /// - Complexity: k × (2 + ln k) × sample · d int8 multiply-adds.
    static func seedPlusPlus(_ points: Points, parameters: Parameters, seed: UInt64) throws(VectorMathError) -> Matrix<Float> {
        let k = parameters.k
        var random = SplitMix64(seed: seed)
        let sample = points.sample(parameters.seedingSampleSize ?? defaultSeedingSampleSize(points: points.count, k: k), using: &random)
        let s = sample.count
        let candidatesPerStep = 2 + Int(log(Double(k)))
        let distances = SeedingDistances(sample, threads: parameters.threads)

        var chosen = [Int(random.next() % UInt64(s))]
        var nearest = [Float](repeating: .infinity, count: s)
        var scratch = [Float](repeating: 0, count: s * candidatesPerStep)
        _ = distances.potentials(of: chosen, nearest: nearest, into: &scratch)
        for i in 0..<s { nearest[i] = scratch[i] }
        while chosen.count < k {
            let weights = SeedingWeights(nearest, blockSize: SeedingDistances.blockSize)
            guard weights.total > 0 else {
                throw VectorMathError(
                    .invalidArgument,
                    "the data have only \(chosen.count) distinct points (in the seeding sample), fewer than k = \(k)")
            }
            let candidates = (0..<candidatesPerStep).map { _ in weights.draw(Double(random.next() >> 11) * 0x1p-53, weights: nearest) }
            let potentials = distances.potentials(of: candidates, nearest: nearest, into: &scratch)
            var best = 0
            for c in 1..<candidates.count where potentials[c] < potentials[best] { best = c }
            chosen.append(candidates[best])
            for i in 0..<s { nearest[i] = min(nearest[i], scratch[best * s + i]) }
        }
        var centres = Matrix<Float>(columns: points.dims, capacity: k)
        for index in chosen { centres.append(row: sample.matrix.row(index)) }
        return centres
    }
}

extension KMeans.Points {
    /// `count` distinct points drawn without replacement (all of them when count ≥ n),
    /// in their original order.
    func sample(_ count: Int, using random: inout SplitMix64) -> KMeans.Points {
        guard count < self.count else { return self }
        var indices = Array(0..<self.count)
        for i in 0..<count {
            let j = i + Int(random.next() % UInt64(self.count - i))
            indices.swapAt(i, j)
        }
        let chosen = indices[..<count].sorted()
        var rows = Matrix<Float>(columns: dims, capacity: count)
        for i in chosen { rows.append(row: matrix.row(i)) }
        return KMeans.Points(matrix: rows, squaredNorms: chosen.map { squaredNorms[$0] })
    }
}

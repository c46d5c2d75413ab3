internal import VectorMath

/// Picks the number of cohorts for `--k auto`: k-means for each candidate k on a seeded
/// sample of the creators, scored by the mean silhouette (cosine distance) of a smaller
/// sample; the k with the highest silhouette wins (ties go to the smaller k).
///
/// Silhouette of a point: (b − a) / max(a, b), where a is its mean distance to its own
/// cluster and b its mean distance to the nearest other cluster; 1 is a perfect fit,
/// 0 a point on a border. It needs no ground truth and penalises both too few and too many clusters.
enum KSelection {
    /// One candidate's score.
    struct Score: Codable, Sendable, Equatable {
        var k: Int
        var silhouette: Double
    }

    /// The candidates for `n` creators: each cohort should have about 10 creators or more.
    static func candidates(creators n: Int) -> [Int] {
        [4, 8, 12, 16, 20, 24, 32, 48, 64, 96, 128].filter { $0 * 10 <= n }
    }

    /// Scores every candidate on samples of `data` (n × d, unit rows); best first.
    static func scores(
        _ data: Matrix<Float>, candidates: [Int], seed: UInt64, clusteringSample: Int = 4_000,
        silhouetteSample: Int = 2_000, backend: BLASBackend
    ) throws(VectorMathError) -> [Score] {
        let sample = rows(of: data, count: min(clusteringSample, data.rows), seed: seed)
        let scored = min(silhouetteSample, sample.rows)
        // Pairwise cosine similarities of the scored points, once for every k.
        var similarity = [Float](repeating: 0, count: scored * scored)
        sample.withUnsafeBufferPointer { s in
            backend.multiplyTransposed(
                m: scored, n: scored, k: sample.columns, a: s.baseAddress!, lda: sample.columns,
                b: s.baseAddress!, ldb: sample.columns, c: &similarity, ldc: scored)
        }
        var scores: [Score] = []
        for k in candidates where k <= sample.rows {
            let result = try KMeans.run(sample, parameters: .init(k: k, seed: seed), backend: backend)
            let labels = result.assignments.prefix(scored).map(Int.init)
            scores.append(Score(k: k, silhouette: silhouette(similarity: similarity, labels: labels, k: k)))
        }
        return scores.sorted { ($0.silhouette, $1.k) > ($1.silhouette, $0.k) }
    }

    /// Mean silhouette of `labels` under cosine distance 1 − similarity.
    static func silhouette(similarity: [Float], labels: [Int], k: Int) -> Double {
        let n = labels.count
        var sizes = [Int](repeating: 0, count: k)
        for label in labels { sizes[label] += 1 }
        var total = 0.0
        var sums = [Double](repeating: 0, count: k)
        for i in 0..<n {
            for c in 0..<k { sums[c] = 0 }
            for j in 0..<n where j != i { sums[labels[j]] += 1 - Double(similarity[i * n + j]) }
            let own = labels[i]
            guard sizes[own] > 1 else { continue }  // a singleton scores 0
            let a = sums[own] / Double(sizes[own] - 1)
            var b = Double.infinity
            for c in 0..<k where c != own && sizes[c] > 0 { b = min(b, sums[c] / Double(sizes[c])) }
            guard b.isFinite else { continue }
            total += (b - a) / max(a, b, .leastNormalMagnitude)
        }
        return total / Double(max(n, 1))
    }

    /// `count` distinct rows of `data` chosen by a seeded shuffle.
    static func rows(of data: Matrix<Float>, count: Int, seed: UInt64) -> Matrix<Float> {
        guard count < data.rows else { return data }
        var random = SplitMix64(seed: seed)
        var order = Array(0..<data.rows)
        for i in 0..<count { order.swapAt(i, i + Int(random.next() % UInt64(data.rows - i))) }
        var sample = Matrix<Float>(columns: data.columns, capacity: count)
        for row in order.prefix(count).sorted() { sample.append(row: data.row(row)) }
        return sample
    }
}

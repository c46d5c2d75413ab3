import Testing

@testable import VectorMath

/// Double-precision Lloyd from given centroids: the oracle for the GEMM version.
func naiveLloyd(_ data: Matrix<Float>, initial: Matrix<Float>, metric: KMeans.Metric, iterations: Int) -> (centroids: [[Double]], assignments: [Int32]) {
    var points = (0..<data.rows).map { data.row($0).map(Double.init) }
    if metric == .spherical {
        points = points.map { p in
            let n = p.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return p.map { $0 / n }
        }
    }
    var centroids = (0..<initial.rows).map { initial.row($0).map(Double.init) }
    func assign() -> [Int32] {
        points.map { p in
            var best = 0, bestValue = -Double.infinity
            for (j, c) in centroids.enumerated() {
                let dot = zip(p, c).reduce(0) { $0 + $1.0 * $1.1 }
                let value = metric == .spherical ? dot : dot - c.reduce(0) { $0 + $1 * $1 } / 2
                if value > bestValue {
                    bestValue = value
                    best = j
                }
            }
            return Int32(best)
        }
    }
    var assignments = assign()
    for _ in 0..<iterations {
        for j in centroids.indices {
            let members = points.indices.filter { assignments[$0] == j }
            guard !members.isEmpty else { continue }
            var mean = [Double](repeating: 0, count: data.columns)
            for i in members { for c in mean.indices { mean[c] += points[i][c] } }
            mean = mean.map { $0 / Double(members.count) }
            if metric == .spherical {
                let n = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
                mean = mean.map { $0 / n }
            }
            centroids[j] = mean
        }
        let next = assign()
        if next == assignments { break }
        assignments = next
    }
    return (centroids, assignments)
}

/// The adjusted Rand index of two labelings (1: identical up to renaming).
func adjustedRandIndex(_ a: [Int32], _ b: [Int32]) -> Double {
    var table: [Int64: Double] = [:], rows: [Int32: Double] = [:], columns: [Int32: Double] = [:]
    for (x, y) in zip(a, b) {
        table[Int64(x) << 32 | Int64(y), default: 0] += 1
        rows[x, default: 0] += 1
        columns[y, default: 0] += 1
    }
    func pairs(_ n: Double) -> Double { n * (n - 1) / 2 }
    let index = table.values.reduce(0) { $0 + pairs($1) }
    let rowSum = rows.values.reduce(0) { $0 + pairs($1) }, columnSum = columns.values.reduce(0) { $0 + pairs($1) }
    let expected = rowSum * columnSum / pairs(Double(a.count))
    return (index - expected) / ((rowSum + columnSum) / 2 - expected)
}

@Suite("k-means")
struct KMeansTests {
    let backend: BLASBackend
    init() throws { backend = try BLASBackend.shared() }

    /// Points around `clusters` centres, with the true label of each.
    func clustered(_ n: Int, dims: Int, clusters: Int, spread: Float, seed: UInt64) -> (Matrix<Float>, [Int32]) {
        var random = SplitMix64(seed: seed)
        let centres = (0..<clusters).map { _ in (0..<dims).map { _ in random.nextGaussian() * 10 } }
        var data = Matrix<Float>(columns: dims, capacity: n)
        var labels: [Int32] = []
        for i in 0..<n {
            let label = i % clusters
            data.append(row: centres[label].map { $0 + spread * random.nextGaussian() })
            labels.append(Int32(label))
        }
        return (data, labels)
    }

    @Test(arguments: KMeans.Metric.allCases)
    func lloydMatchesTheNaiveReferenceFromTheSameStart(metric: KMeans.Metric) throws {
        let data = SyntheticVectors(dims: 12, clusters: 6, spread: 0.8, seed: 3).generate(count: 400)
        let initial = Matrix(columns: 12, values: (0..<5).flatMap { data.row($0 * 37) })
        let parameters = KMeans.Parameters(
            k: 5, maxIterations: 50, tolerance: 0, metric: metric,
            initialCentroids: initial, threads: 2, rowBlock: 64)
        let fast = try KMeans.run(data, parameters: parameters, backend: backend)
        let naive = naiveLloyd(data, initial: initial, metric: metric, iterations: 50)
        #expect(fast.assignments == naive.assignments)
        for j in 0..<5 {
            for (a, b) in zip(fast.centroids.row(j), naive.centroids[j]) { #expect(abs(Double(a) - b) < 1e-4) }
        }
        #expect(fast.counts.reduce(0, +) == 400)
    }

    @Test(arguments: KMeans.Metric.allCases)
    func recoversWellSeparatedClusters(metric: KMeans.Metric) throws {
        let (data, truth) = clustered(1200, dims: 32, clusters: 8, spread: 0.5, seed: 11)
        let result = try KMeans.run(data, parameters: .init(k: 8, seed: 5, restarts: 3, metric: metric), backend: backend)
        #expect(adjustedRandIndex(result.assignments, truth) > 0.99)
        #expect(result.converged)
        #expect(result.similarities.allSatisfy { $0 > 0.9 })
    }

    @Test func sameSeedGivesTheSameResultWhateverTheThreads() throws {
        let data = SyntheticVectors(dims: 40, clusters: 10, seed: 2).generate(count: 3000)
        let runs = try [1, 2, 3].map { threads in
            try KMeans.run(data, parameters: .init(k: 12, maxIterations: 8, seed: 9, threads: threads, rowBlock: 100), backend: backend)
        }
        for run in runs.dropFirst() {
            #expect(run.assignments == runs[0].assignments)
            #expect(run.centroids == runs[0].centroids)
            #expect(run.objective == runs[0].objective)
        }
    }

    /// Data where bounds are easy (well-separated clusters) and hard: more clusters
    /// than the data have (near-ties), exact duplicates, a few huge coordinates.
    static let boundCases: [(name: String, data: Matrix<Float>, k: Int)] = {
        let separated = SyntheticVectors(dims: 48, clusters: 12, spread: 0.3, seed: 21).generate(count: 3000)
        let split = SyntheticVectors(dims: 48, clusters: 5, spread: 0.6, seed: 22).generate(count: 3000)
        var duplicated = Matrix<Float>(columns: 48)
        for row in 0..<1500 {
            duplicated.append(row: separated.row(row))
            duplicated.append(row: separated.row(row))
        }
        var spiky = split
        var random = SplitMix64(seed: 23)
        for row in stride(from: 0, to: 3000, by: 7) { spiky[row, Int(random.next() % 48)] = 40 }
        return [("separated", separated, 16), ("split", split, 40), ("duplicated", duplicated, 24), ("spiky", spiky, 30)]
    }()

    @Test(arguments: KMeans.Metric.allCases, 0..<4)
    func boundsGiveTheResultOfPlainLloyd(metric: KMeans.Metric, index: Int) throws {
        let (name, data, k) = Self.boundCases[index]
        for threads in [1, 2] {
            var parameters = KMeans.Parameters(
                k: k, maxIterations: 15, tolerance: 0, seed: 4, metric: metric,
                threads: threads, rowBlock: 128)
            let bounded = try KMeans.run(data, parameters: parameters, backend: backend)
            parameters.usesBounds = false
            let plain = try KMeans.run(data, parameters: parameters, backend: backend)
            #expect(bounded.assignments == plain.assignments, "\(name), \(metric), \(threads) threads")
            #expect(bounded.centroids == plain.centroids, "\(name), \(metric), \(threads) threads")
            #expect(bounded.iterations == plain.iterations)
            #expect(abs(bounded.objective - plain.objective) <= 1e-5 * abs(plain.objective))
            // Bounds that skipped nothing would pass the checks above too.
            let computed = bounded.stats.reduce(0) { $0 + $1.distancesComputed }
            let all = plain.stats.reduce(0) { $0 + $1.distancesComputed }
            #expect(all == plain.iterations * data.rows * k)
            #expect(computed < all / 2, "\(name), \(metric): \(computed) of \(all) distances computed")
        }
    }

    @Test("where pruning skips little (points with no clusters), the next passes are full passes, 1 then 2, …, and the result is still plain Lloyd's")
    func boundsStepAsideWhereTheySkipLittle() throws {
        let data = SyntheticVectors(dims: 256, clusters: 0, seed: 9).generate(count: 6_000, threads: 1)
        let k = 32
        var parameters = KMeans.Parameters(k: k, maxIterations: 12, tolerance: 0, seed: 2, metric: .euclidean, threads: 2, rowBlock: 256)
        let bounded = try KMeans.run(data, parameters: parameters, backend: backend)
        parameters.usesBounds = false
        let plain = try KMeans.run(data, parameters: parameters, backend: backend)
        #expect(bounded.assignments == plain.assignments && bounded.centroids == plain.centroids)
        // A full pass computes every distance, exactly; a pruned one computes some plus one per point it settles.
        let all = data.rows * k
        let computed = bounded.stats.map(\.distancesComputed)
        var fullPassesDue = 0, backoff = 1, failedProbes = 0
        for (pass, distances) in computed.enumerated() {
            if fullPassesDue > 0 {
                #expect(distances == all, "pass \(pass + 1) should score every point: \(computed)")
                fullPassesDue -= 1
            } else if 1 - Double(distances) / Double(all) < KMeans.Bounds.minimumSkip {
                failedProbes += 1
                fullPassesDue = backoff
                backoff *= 2
            } else {
                backoff = 1
            }
        }
        #expect(failedProbes >= 2, "pruning failed \(failedProbes) times: \(computed)")
        #expect(computed.contains { $0 < all / 2 }, "pruning never came back: \(computed)")
    }

    @Test func emptyClustersAreRepairedAndCounted() throws {
        let (data, _) = clustered(300, dims: 6, clusters: 3, spread: 0.3, seed: 4)
        // The fourth starting centroid is far from everything: it gets no points.
        let far = [Float](repeating: -1000, count: 6)
        let initial = Matrix(columns: 6, values: data.row(0) + data.row(1) + data.row(2) + far)
        let result = try KMeans.run(data, parameters: .init(k: 4, metric: .euclidean, initialCentroids: initial), backend: backend)
        #expect(result.stats.first?.emptyClustersRepaired == 1)
        #expect(result.counts.allSatisfy { $0 > 0 })
    }

    @Test func stableIDsAfterMatchingWhenTheDataBarelyChange() throws {
        let (data, _) = clustered(2000, dims: 16, clusters: 10, spread: 1, seed: 8)
        let before = try KMeans.run(data, parameters: .init(k: 10, seed: 1, restarts: 2), backend: backend)
        var random = SplitMix64(seed: 99)
        var moved = data
        moved.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] += 0.01 * random.nextGaussian() }
        }
        // A cold run with another seed numbers its clusters arbitrarily.
        let after = try KMeans.run(moved, parameters: .init(k: 10, seed: 77, restarts: 2), backend: backend)
        let matched = KMeans.matched(after, toPrevious: before.centroids, backend: backend)
        #expect(KMeans.churn(previous: before.assignments, current: matched.assignments) < 0.01)
        #expect(matched.counts.reduce(0, +) == 2000)
        // A warm start from the previous centroids keeps the ids without matching.
        let warm = try KMeans.run(moved, parameters: .init(k: 10, initialCentroids: before.centroids), backend: backend)
        #expect(KMeans.churn(previous: before.assignments, current: warm.assignments) < 0.01)
    }

    @Test func matchingAcrossDifferentClusterCounts() throws {
        let (data, _) = clustered(1500, dims: 16, clusters: 4, spread: 1, seed: 3)
        let before = try KMeans.run(data, parameters: .init(k: 4, seed: 1, restarts: 2), backend: backend)
        // One more cluster: the four that match keep their ids, the new one takes id 4.
        let more = KMeans.matched(
            try KMeans.run(data, parameters: .init(k: 5, seed: 9, restarts: 2), backend: backend),
            toPrevious: before.centroids, backend: backend)
        #expect(Set(more.assignments) == Set(0..<5))
        #expect(more.counts.reduce(0, +) == 1500 && more.centroids.rows == 5)
        for id in 0..<4 {
            let old = before.centroids.row(id), new = more.centroids.row(id)
            let cosine =
                zip(old, new).reduce(0) { $0 + $1.0 * $1.1 }
                / (old.reduce(0) { $0 + $1 * $1 }.squareRoot() * new.reduce(0) { $0 + $1 * $1 }.squareRoot())
            // Three clusters stay put (cosine ≈ 1); the one split in two stays near its halves.
            #expect(cosine > 0.75, "cluster \(id) kept its place")
        }
        // One fewer: ids stay within 0..<3 and cover it.
        let fewer = KMeans.matched(
            try KMeans.run(data, parameters: .init(k: 3, seed: 5), backend: backend),
            toPrevious: before.centroids, backend: backend)
        #expect(Set(fewer.assignments) == Set(0..<3) && fewer.centroids.rows == 3)
        for (row, cluster) in fewer.assignments.enumerated() where row < 50 {
            #expect(fewer.counts[Int(cluster)] > 0)
        }
    }

    @Test func badInputIsAClearError() throws {
        let data = SyntheticVectors(dims: 4, seed: 1).generate(count: 10)
        func code(_ data: Matrix<Float>, _ parameters: KMeans.Parameters) -> VectorMathError.Code? {
            do {
                _ = try KMeans.run(data, parameters: parameters, backend: backend)
                return nil
            } catch { return error.code }
        }
        #expect(code(data, .init(k: 0)) == .invalidArgument)
        #expect(code(data, .init(k: 11)) == .invalidArgument)
        #expect(code(Matrix(columns: 4), .init(k: 1)) == .invalidArgument)
        #expect(code(data, .init(k: 2, maxIterations: 0)) == .invalidArgument)
        #expect(code(data, .init(k: 2, initialCentroids: Matrix(columns: 3, values: [1, 2, 3, 4, 5, 6]))) == .dimensionMismatch)
        var withNaN = data
        withNaN[3, 2] = .nan
        #expect(code(withNaN, .init(k: 2)) == .nonFiniteValue)
        #expect(code(withNaN, .init(k: 2, metric: .euclidean)) == .nonFiniteValue)
        // Ten points but only two distinct ones.
        let duplicates = Matrix(columns: 2, values: (0..<10).flatMap { $0 % 2 == 0 ? [Float(1), 0] : [0, 1] })
        #expect(code(duplicates, .init(k: 3)) == .invalidArgument)
        #expect(try KMeans.run(duplicates, parameters: .init(k: 2), backend: backend).sumOfSquares < 1e-6)
    }

    @Test func hungarianFindsTheCheapestPermutation() {
        var random = SplitMix64(seed: 3)
        for size in 1...6 {
            let cost = (0..<size * size).map { _ in Double(random.nextFloat()) }
            let assignment = KMeans.hungarian(cost: cost, size: size)
            #expect(Set(assignment).count == size)
            let total = assignment.enumerated().reduce(0) { $0 + cost[$1.offset * size + $1.element] }
            #expect(abs(total - bruteForceMinimum(cost, size: size)) < 1e-9)
        }
    }

    func bruteForceMinimum(_ cost: [Double], size: Int) -> Double {
        func search(_ row: Int, _ used: Set<Int>) -> Double {
            guard row < size else { return 0 }
            return (0..<size).filter { !used.contains($0) }
                .map { cost[row * size + $0] + search(row + 1, used.union([$0])) }.min()!
        }
        return search(0, [])
    }

    @Test func miniBatchFindsTheClustersLloydFinds() throws {
        let (data, truth) = clustered(6000, dims: 24, clusters: 6, spread: 0.5, seed: 21)
        var source = MatrixBatches(data)
        let result = try MiniBatchKMeans.run(&source, parameters: .init(k: 6, batchSize: 500, passes: 2, seed: 3), backend: backend)
        #expect(result.batches == 24)
        let evaluated = try KMeans.evaluate(data, centroids: result.centroids, metric: .spherical, backend: backend)
        #expect(adjustedRandIndex(evaluated.assignments, truth) > 0.99)
        let lloyd = try KMeans.run(data, parameters: .init(k: 6, seed: 3, restarts: 2), backend: backend)
        #expect(evaluated.objective > lloyd.objective - 1e-3)
    }
}

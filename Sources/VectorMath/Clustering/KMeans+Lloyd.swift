import Dispatch

extension KMeans {
    /// The data as k-means sees it: unit rows for the spherical metric, and each
    /// row's squared norm.
    struct Points {
        let matrix: Matrix<Float>
        let squaredNorms: [Float]
        var count: Int { matrix.rows }
        var dims: Int { matrix.columns }

        init(matrix: Matrix<Float>, squaredNorms: [Float]) {
            self.matrix = matrix
            self.squaredNorms = squaredNorms
        }

        init(_ data: Matrix<Float>, metric: Metric) throws(VectorMathError) {
            var matrix = data
            if metric == .spherical {
                try matrix.normalizeRows()
            } else {
                guard data.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
                    throw VectorMathError(.nonFiniteValue, "the data contain NaN or ∞")
                }
            }
            squaredNorms = matrix.squaredRowNorms()
            self.matrix = matrix
        }
    }

    /// One assignment pass over every point.
    struct Pass {
        var assignments: [Int32]
        /// ⟨x, c⟩ with the assigned centroid.
        var dots: [Float]
        /// Per-cluster sums of the assigned points, k × d.
        var sums: [Float]
        var counts: [Int]
        var sumOfSquares: Double
        var similaritySum: Double
        /// Point–centroid distances computed (n · k without bounds).
        var distancesComputed: Int
    }

    /// Assigns every point to its nearest centroid (one GEMM per tile of rows) and
    /// sums the points of each cluster (``ClusterSums``: the same bits for any
    /// thread count).
    static func assign(
        _ points: Points, centroids: Matrix<Float>, metric: Metric,
        threads: Int, rowBlock: Int, backend: BLASBackend
    ) -> Pass {
        let n = points.count, d = points.dims, k = centroids.rows
        let centroidNorms = centroids.squaredRowNorms()
        let bias = scoreBias(metric, centroidNorms: centroidNorms)
        let sums = ClusterSums(rows: n, dims: d, k: k, rowBlock: rowBlock)
        var assignments = [Int32](repeating: 0, count: n)
        var dots = [Float](repeating: 0, count: n)
        let workers = ParallelBlocks.workers(count: n, blockSize: sums.chunkRows, threads: threads)
        let scratch = WorkerScratch(workers: workers, floats: rowBlock * k)
        defer { scratch.deallocate() }
        let scorer = CentroidScores(centroids, backend: backend)

        points.matrix.withUnsafeBufferPointer { x in
            assignments.withUnsafeMutableBufferPointer { assignments in
                dots.withUnsafeMutableBufferPointer { dots in
                    ParallelBlocks.forEach(count: n, blockSize: sums.chunkRows, threads: workers) { worker, chunk in
                        let tileScores = scratch[worker]
                        var tileStart = chunk.lowerBound
                        while tileStart < chunk.upperBound {
                            let rows = min(rowBlock, chunk.upperBound - tileStart)
                            scorer.score(rows: x.baseAddress! + tileStart * d, count: rows, into: tileScores)
                            for i in 0..<rows {
                                let best = bestCentroid(tileScores + i * k, bias: bias)
                                assignments[tileStart + i] = Int32(best)
                                dots[tileStart + i] = tileScores[i * k + best]
                            }
                            tileStart += rows
                        }
                        sums.add(
                            rows: chunk, points: x.baseAddress!, squaredNorms: points.squaredNorms, centroidNorms: centroidNorms,
                            assignments: assignments.baseAddress!, dots: dots.baseAddress!)
                    }
                }
            }
        }
        return sums.pass(assignments: assignments, dots: dots, distancesComputed: n * k)
    }

    /// What is subtracted from ⟨x, c⟩ before comparing centroids. Euclidean:
    /// argmin ‖x‖² − 2⟨x,c⟩ + ‖c‖² = argmax ⟨x,c⟩ − ‖c‖²/2; spherical: nothing.
    static func scoreBias(_ metric: Metric, centroidNorms: [Float]) -> [Float] {
        metric == .euclidean ? centroidNorms.map { $0 / 2 } : [Float](repeating: 0, count: centroidNorms.count)
    }

    /// The centroid with the highest ⟨x, c⟩ − bias, the first on ties.
    @inline(__always)
    static func bestCentroid(_ scores: UnsafePointer<Float>, bias: [Float]) -> Int {
        var best = 0
        var bestValue = scores[0] - bias[0]
        for j in 1..<bias.count where scores[j] - bias[j] > bestValue {
            best = j
            bestValue = scores[j] - bias[j]
        }
        return best
    }

    /// New centroids from a pass: means (normalised for spherical). An empty cluster
    /// takes half of the largest one: both get its centroid nudged apart.
    ///
    /// - Returns: the centroids and how many empty clusters were repaired.
    static func update(_ pass: Pass, dims d: Int, metric: Metric) -> (Matrix<Float>, repaired: Int) {
        let k = pass.counts.count
        var counts = pass.counts
        var values = pass.sums
        for j in 0..<k where counts[j] > 0 {
            let scale = 1 / Float(counts[j])
            for i in j * d..<(j + 1) * d { values[i] *= scale }
        }
        var repaired = 0
        for empty in 0..<k where counts[empty] == 0 {
            // The largest cluster, smallest index on ties: deterministic.
            let largest = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
            let nudge: Float = 1.0 / 1024
            for i in 0..<d {
                let value = values[largest * d + i]
                let sign: Float = i % 2 == 0 ? 1 : -1
                values[empty * d + i] = value * (1 + sign * nudge)
                values[largest * d + i] = value * (1 - sign * nudge)
            }
            counts[empty] = counts[largest] / 2
            counts[largest] -= counts[empty]
            repaired += 1
        }
        var centroids = Matrix<Float>(columns: d, values: values)
        if metric == .spherical {
            // A zero mean (opposite points cancelling) cannot be normalised: it stays zero.
            let norms = centroids.squaredRowNorms()
            centroids.withUnsafeMutableBufferPointer { c in
                for j in 0..<k where norms[j] > 0 {
                    let scale = 1 / norms[j].squareRoot()
                    for i in j * d..<(j + 1) * d { c[i] *= scale }
                }
            }
        }
        return (centroids, repaired)
    }

    /// Lloyd iterations from `initial` until the objective settles or the limit.
    static func lloyd(_ points: Points, initial: Matrix<Float>, parameters: Parameters, backend: BLASBackend) -> Result {
        var centroids = initial
        var stats: [IterationStats] = []
        var converged = false
        var bounds = parameters.usesBounds ? Bounds(points, k: initial.rows) : nil
        func nextPass() -> Pass {
            if bounds != nil,
                let pass = bounds!.assign(
                    points, centroids: centroids, metric: parameters.metric,
                    threads: parameters.threads, rowBlock: parameters.rowBlock,
                    backend: backend)
            {
                return pass
            }
            bounds = nil
            return assign(
                points, centroids: centroids, metric: parameters.metric,
                threads: parameters.threads, rowBlock: parameters.rowBlock, backend: backend)
        }
        var pass = nextPass()
        var previous = objective(of: pass, count: points.count, metric: parameters.metric)
        for _ in 0..<parameters.maxIterations {
            let started = DispatchTime.now().uptimeNanoseconds
            let (next, repaired) = update(pass, dims: points.dims, metric: parameters.metric)
            centroids = next
            pass = nextPass()
            let current = objective(of: pass, count: points.count, metric: parameters.metric)
            let total = Double(points.count)
            stats.append(
                IterationStats(
                    objective: current, sumOfSquares: pass.sumOfSquares,
                    seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9,
                    imbalance: Double(pass.counts.count) * pass.counts.reduce(0.0) { $0 + Double($1) * Double($1) } / (total * total),
                    emptyClustersRepaired: repaired, distancesComputed: pass.distancesComputed))
            if abs(current - previous) <= parameters.tolerance * abs(current) {
                converged = true
                break
            }
            previous = current
        }
        let centroidNorms = centroids.squaredRowNorms().map { $0.squareRoot() }
        let similarities = pass.dots.indices.map { i in
            pass.dots[i] / max(points.squaredNorms[i].squareRoot() * centroidNorms[Int(pass.assignments[i])], .leastNormalMagnitude)
        }
        return Result(
            centroids: centroids, assignments: pass.assignments, similarities: similarities,
            objective: objective(of: pass, count: points.count, metric: parameters.metric),
            sumOfSquares: pass.sumOfSquares, iterations: stats.count, converged: converged,
            seedingSeconds: 0, stats: stats, counts: pass.counts)
    }

    static func objective(of pass: Pass, count: Int, metric: Metric) -> Double {
        metric == .spherical ? pass.similaritySum / Double(count) : pass.sumOfSquares
    }
}

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
    }

    /// Assigns every point to its nearest centroid (one GEMM per tile of rows) and
    /// sums the points of each cluster.
    ///
    /// Rows are split into fixed chunks whatever the thread count; each chunk keeps
    /// its own partial sums, added up in chunk order, so the result is bit-identical
    /// for any number of threads.
    static func assign(_ points: Points, centroids: Matrix<Float>, metric: Metric,
                       threads: Int, rowBlock: Int, backend: BLASBackend) -> Pass {
        let n = points.count, d = points.dims, k = centroids.rows
        let centroidNorms = centroids.squaredRowNorms()
        // Euclidean: argmin ‖x‖² − 2⟨x,c⟩ + ‖c‖² = argmax ⟨x,c⟩ − ‖c‖²/2.
        let bias = metric == .euclidean ? centroidNorms.map { $0 / 2 } : [Float](repeating: 0, count: k)
        let chunkRows = rowBlock * 4
        let chunks = (n + chunkRows - 1) / chunkRows
        var assignments = [Int32](repeating: 0, count: n)
        var dots = [Float](repeating: 0, count: n)
        var partialSums = [Float](repeating: 0, count: chunks * k * d)
        var partialCounts = [Int](repeating: 0, count: chunks * k)
        var partialSquares = [Double](repeating: 0, count: chunks)
        var partialSimilarity = [Double](repeating: 0, count: chunks)
        let workers = ParallelBlocks.workers(count: n, blockSize: chunkRows, threads: threads)
        let scratch = WorkerScratch(workers: workers, floats: rowBlock * k)
        defer { scratch.deallocate() }

        points.matrix.withUnsafeBufferPointer { x in
        centroids.withUnsafeBufferPointer { c in
        assignments.withUnsafeMutableBufferPointer { assignments in
        dots.withUnsafeMutableBufferPointer { dots in
        partialSums.withUnsafeMutableBufferPointer { partialSums in
        partialCounts.withUnsafeMutableBufferPointer { partialCounts in
        partialSquares.withUnsafeMutableBufferPointer { partialSquares in
        partialSimilarity.withUnsafeMutableBufferPointer { partialSimilarity in
            ParallelBlocks.forEach(count: n, blockSize: chunkRows, threads: workers) { worker, chunk in
                let chunkIndex = chunk.lowerBound / chunkRows
                let sums = partialSums.baseAddress! + chunkIndex * k * d
                let counts = partialCounts.baseAddress! + chunkIndex * k
                let tileScores = scratch[worker]
                var squares = 0.0, similarity = 0.0
                var tileStart = chunk.lowerBound
                while tileStart < chunk.upperBound {
                    let rows = min(rowBlock, chunk.upperBound - tileStart)
                    backend.multiplyTransposed(m: rows, n: k, k: d, a: x.baseAddress! + tileStart * d, lda: d,
                                               b: c.baseAddress!, ldb: d, c: tileScores, ldc: k)
                    for i in 0..<rows {
                        let row = tileStart + i
                        let scores = tileScores + i * k
                        var best = 0
                        var bestValue = scores[0] - bias[0]
                        for j in 1..<k where scores[j] - bias[j] > bestValue {
                            best = j
                            bestValue = scores[j] - bias[j]
                        }
                        let dot = scores[best]
                        assignments[row] = Int32(best)
                        dots[row] = dot
                        squares += Double(max(0, points.squaredNorms[row] - 2 * dot + centroidNorms[best]))
                        similarity += Double(dot / max((points.squaredNorms[row] * centroidNorms[best]).squareRoot(), .leastNormalMagnitude))
                        counts[best] += 1
                        let source = x.baseAddress! + row * d
                        let target = sums + best * d
                        for j in 0..<d { target[j] += source[j] }
                    }
                    tileStart += rows
                }
                partialSquares[chunkIndex] = squares
                partialSimilarity[chunkIndex] = similarity
            }
        }}}}}}}}

        var sums = [Float](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        for chunk in 0..<chunks {
            for i in 0..<(k * d) { sums[i] += partialSums[chunk * k * d + i] }
            for j in 0..<k { counts[j] += partialCounts[chunk * k + j] }
        }
        return Pass(assignments: assignments, dots: dots, sums: sums, counts: counts,
                    sumOfSquares: partialSquares.reduce(0, +), similaritySum: partialSimilarity.reduce(0, +))
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
            for i in j * d ..< (j + 1) * d { values[i] *= scale }
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
                    for i in j * d ..< (j + 1) * d { c[i] *= scale }
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
        var pass = assign(points, centroids: centroids, metric: parameters.metric,
                          threads: parameters.threads, rowBlock: parameters.rowBlock, backend: backend)
        var previous = objective(of: pass, count: points.count, metric: parameters.metric)
        for _ in 0..<parameters.maxIterations {
            let started = DispatchTime.now().uptimeNanoseconds
            let (next, repaired) = update(pass, dims: points.dims, metric: parameters.metric)
            centroids = next
            pass = assign(points, centroids: centroids, metric: parameters.metric,
                          threads: parameters.threads, rowBlock: parameters.rowBlock, backend: backend)
            let current = objective(of: pass, count: points.count, metric: parameters.metric)
            let total = Double(points.count)
            stats.append(IterationStats(
                objective: current, sumOfSquares: pass.sumOfSquares,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9,
                imbalance: Double(pass.counts.count) * pass.counts.reduce(0.0) { $0 + Double($1) * Double($1) } / (total * total),
                emptyClustersRepaired: repaired))
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

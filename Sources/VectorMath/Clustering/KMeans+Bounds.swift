import Synchronization

#if arch(x86_64) && !ONERING_PORTABLE_ONLY
    import CVectorKernels
#endif

extension KMeans {
    /// Elkan's bounds (C. Elkan, "Using the triangle inequality to accelerate
    /// k-means", ICML 2003): for every point an upper bound on the distance to its
    /// centroid and a lower bound on the distance to each other centroid. When the
    /// centroids move, the upper bound grows by its centroid's shift and each lower
    /// bound shrinks by that centroid's shift (triangle inequality). A centroid is
    /// looked at only when neither its lower bound nor half its distance to the
    /// point's centroid proves it farther; a point with many such centroids is scored
    /// against all of them in a GEMM of gathered rows, as plain Lloyd's does.
    ///
    /// The same result as plain Lloyd's: distances come from float dot products whose
    /// error is at most e = γ·(‖x‖ + ‖c‖max)², γ = (d + 64)·2⁻²⁴ (any summation
    /// order, with room for the float lower bounds' rounding). Every bound is widened
    /// by e, a centroid is ruled out only when its squared lower bound exceeds the
    /// squared upper bound by more than 2e, and a point whose two best candidates are
    /// within 4e of each other goes to the GEMM: so Lloyd's own rounded scores could
    /// not rank another centroid first. The cluster sums go through ``ClusterSums``.
    ///
    /// Pruning is decided per pass from what it skips: a pass whose bounds skipped under
    /// ``minimumSkip`` of the distances costs more than plain Lloyd's (every bound moved, most
    /// points scored one centroid at a time), so the next passes are plain Lloyd's passes, the
    /// last of which also resets every bound; pruning is tried again after 1, then 2, 4, … full
    /// passes while it keeps failing, so the probes cost a few passes' overhead at most.
    ///
    /// Memory: n × k floats of lower bounds (100 MB for 100,000 points and k = 256).
    struct Bounds {
        private var upper: [Double]
        private var lower: [Float]
        private var assignments: [Int32]
        private var previous: Matrix<Float>?
        private let roundoff: Double
        /// Rows per GEMM tile of gathered points.
        private let tileRows = 512
        /// Full passes (every point scored by GEMM) to run before pruning is tried again.
        private var fullPassesLeft = 0
        /// Full passes the next pruned pass that skips too little buys (doubles each time).
        private var backoff = 1
        /// The share of distances a pruned pass must skip to be worth its bookkeeping (on
        /// 100,000 × 1536 points, k = 64, a pass that skipped nothing took 1.25 × plain Lloyd's).
        static let minimumSkip = 0.25

        init(_ points: Points, k: Int) {
            upper = [Double](repeating: 0, count: points.count)
            lower = [Float](repeating: 0, count: points.count * k)
            assignments = [Int32](repeating: 0, count: points.count)
            roundoff = Double(points.dims + 64) * 0x1p-24
        }

        /// One pass for `centroids`, or nil when the bounds do not apply to them (a
        /// spherical centroid that is not unit length, as when opposite points
        /// cancel): the caller then scores every point.
        mutating func assign(
            _ points: Points, centroids: Matrix<Float>, metric: Metric,
            threads: Int, rowBlock: Int, backend: BLASBackend
        ) -> Pass? {
            let n = points.count, d = points.dims, k = centroids.rows
            let centroidNorms = centroids.squaredRowNorms()
            // Spherical Lloyd ranks by ⟨x, c⟩, which is the distance order only for unit
            // centroids; their float norms' deviation from 1 widens the margin.
            let deviation = metric == .spherical ? Double(centroidNorms.map { abs($0 - 1) }.max()!) : 0
            guard deviation < 1e-4 else { return nil }
            let largestNorm = Double(centroidNorms.max()!).squareRoot()
            let margins = points.squaredNorms.map { norm in
                let reach = Double(norm).squareRoot() + largestNorm
                return roundoff * reach * reach + 2 * deviation
            }
            if fullPassesLeft > 0 {
                fullPassesLeft -= 1
                // The last full pass before pruning is tried again sets every bound (below); the
                // others are plain Lloyd's passes, which leave the bounds stale.
                previous = nil
                if fullPassesLeft > 0 {
                    return KMeans.assign(points, centroids: centroids, metric: metric, threads: threads, rowBlock: rowBlock, backend: backend)
                }
            }
            var computed = 0
            var stale: [Int]
            if let previous {
                (stale, computed) = prune(
                    points, centroids: centroids, previous: previous, metric: metric,
                    centroidNorms: centroidNorms, margins: margins, threads: threads, backend: backend)
                let skipped = 1 - Double(computed + stale.count * k) / Double(n * k)
                if skipped < Self.minimumSkip {
                    fullPassesLeft = backoff
                    backoff *= 2
                } else {
                    backoff = 1
                }
            } else {
                stale = Array(0..<n)
            }
            score(
                stale, points: points, centroids: centroids, metric: metric, centroidNorms: centroidNorms,
                margins: margins, threads: threads, backend: backend)
            computed += stale.count * k
            previous = centroids

            let sums = ClusterSums(rows: n, dims: d, k: k, rowBlock: rowBlock)
            var dots = [Float](repeating: 0, count: n)
            points.matrix.withUnsafeBufferPointer { x in
                centroids.withUnsafeBufferPointer { c in
                    assignments.withUnsafeBufferPointer { assignments in
                        dots.withUnsafeMutableBufferPointer { dots in
                            ParallelBlocks.forEach(count: n, blockSize: sums.chunkRows, threads: threads) { _, chunk in
                                // Small slices, so that each row is still in cache when it is summed.
                                var start = chunk.lowerBound
                                while start < chunk.upperBound {
                                    let slice = start..<min(start + 16, chunk.upperBound)
                                    for row in slice {
                                        dots[row] = DotProduct.float(x.baseAddress! + row * d, c.baseAddress! + Int(assignments[row]) * d, count: d)
                                    }
                                    sums.add(
                                        rows: slice, points: x.baseAddress!, squaredNorms: points.squaredNorms,
                                        centroidNorms: centroidNorms, assignments: assignments.baseAddress!, dots: dots.baseAddress!)
                                    start = slice.upperBound
                                }
                            }
                        }
                    }
                }
            }
            return sums.pass(assignments: assignments, dots: dots, distancesComputed: computed)
        }

        /// Moves every bound by the centroids' shifts and settles each point that its
        /// bounds, and the few distances they leave open, prove.
        ///
        /// - Returns: the points that need every distance (ascending), and how many
        ///   distances were computed for the others.
        private mutating func prune(
            _ points: Points, centroids: Matrix<Float>, previous: Matrix<Float>, metric: Metric,
            centroidNorms: [Float], margins: [Double],
            threads: Int, backend: BLASBackend
        ) -> ([Int], Int) {
            let n = points.count, d = points.dims, k = centroids.rows
            // Rounded up, so that the lower bounds stay below the distances.
            let shifts = (0..<k).map { j in
                Float(zip(centroids.row(j), previous.row(j)).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()).nextUp
            }
            let halfGaps = halfGapsBetweenCentroids(centroids, norms: centroidNorms, backend: backend)
            let bias = scoreBias(metric, centroidNorms: centroidNorms)
            let blockSize = 2048
            let blocks = (n + blockSize - 1) / blockSize
            var needsScoring = [Bool](repeating: false, count: n)
            var computedPerBlock = [Int](repeating: 0, count: blocks)
            let mostCandidates = max(2, k / 8)
            // Set when a block's bounds skipped under `minimumSkip`: the blocks not yet started
            // then go to the GEMM whole, without moving their bounds (it resets them).
            let abandoned = Atomic<Bool>(false)
            points.matrix.withUnsafeBufferPointer { x in
                centroids.withUnsafeBufferPointer { c in
                    halfGaps.withUnsafeBufferPointer { halfGaps in
                        shifts.withUnsafeBufferPointer { shifts in
                            upper.withUnsafeMutableBufferPointer { upper in
                                lower.withUnsafeMutableBufferPointer { lower in
                                    assignments.withUnsafeMutableBufferPointer { assignments in
                                        needsScoring.withUnsafeMutableBufferPointer { needsScoring in
                                            computedPerBlock.withUnsafeMutableBufferPointer { computedPerBlock in
                                                ParallelBlocks.forEach(count: n, blockSize: blockSize, threads: threads) { _, block in
                                                    if abandoned.load(ordering: .relaxed) {
                                                        for row in block { needsScoring[row] = true }
                                                        return
                                                    }
                                                    let candidates = UnsafeMutablePointer<Int32>.allocate(capacity: k)
                                                    defer { candidates.deallocate() }
                                                    var computed = 0
                                                    for row in block {
                                                        let own = Int(assignments[row]), margin = margins[row]
                                                        let bounds = lower.baseAddress! + row * k, gaps = halfGaps.baseAddress! + own * k
                                                        let point = x.baseAddress! + row * d
                                                        var bound = upper[row] + Double(shifts[own])
                                                        // A centroid is ruled out when max(lower bound, half gap) exceeds this.
                                                        func reach(_ bound: Double) -> Float { Float((bound * bound + 2 * margin).squareRoot()).nextUp }
                                                        var count = Self.shrink(
                                                            bounds, by: shifts.baseAddress!, gaps: gaps, beyond: reach(bound), count: k,
                                                            into: candidates)
                                                        if count == 0 {
                                                            upper[row] = bound
                                                            continue
                                                        }
                                                        // Tighten the upper bound with the one distance to the point's own centroid.
                                                        let ownDot = DotProduct.float(point, c.baseAddress! + own * d, count: d)
                                                        let ownSquared = Double(points.squaredNorms[row]) + Double(centroidNorms[own]) - 2 * Double(ownDot)
                                                        bound = max(0, ownSquared + margin).squareRoot()
                                                        computed += 1
                                                        let limit = reach(bound)
                                                        var kept = 0
                                                        for slot in 0..<count where max(bounds[Int(candidates[slot])], gaps[Int(candidates[slot])]) <= limit {
                                                            candidates[kept] = candidates[slot]
                                                            kept += 1
                                                        }
                                                        count = kept
                                                        if count == 0 {
                                                            upper[row] = bound
                                                            continue
                                                        }
                                                        if count > mostCandidates {
                                                            needsScoring[row] = true
                                                            continue
                                                        }
                                                        // Score the candidates one by one; Lloyd's order (score, then index) picks the best.
                                                        var best = own, bestScore = ownDot - bias[own], bestSquared = ownSquared
                                                        var runnerUpSquared = Double.infinity
                                                        for slot in 0..<count {
                                                            let j = Int(candidates[slot])
                                                            let dot = DotProduct.float(point, c.baseAddress! + j * d, count: d)
                                                            let squared = Double(points.squaredNorms[row]) + Double(centroidNorms[j]) - 2 * Double(dot)
                                                            bounds[j] = Float(max(0, squared - margin).squareRoot()).nextDown
                                                            let score = dot - bias[j]
                                                            if score > bestScore || (score == bestScore && j < best) {
                                                                runnerUpSquared = bestSquared
                                                                best = j
                                                                bestScore = score
                                                                bestSquared = squared
                                                            } else {
                                                                runnerUpSquared = min(runnerUpSquared, squared)
                                                            }
                                                        }
                                                        computed += count
                                                        if runnerUpSquared - bestSquared <= 4 * margin {
                                                            needsScoring[row] = true
                                                            continue
                                                        }
                                                        if best != own {
                                                            bounds[own] = Float(max(0, ownSquared - margin).squareRoot()).nextDown
                                                            assignments[row] = Int32(best)
                                                        }
                                                        upper[row] = max(0, bestSquared + margin).squareRoot()
                                                    }
                                                    computedPerBlock[block.lowerBound / blockSize] = computed
                                                    let scored = block.reduce(0) { $0 + (needsScoring[$1] ? k : 0) }
                                                    if Double(computed + scored) > (1 - Self.minimumSkip) * Double(block.count * k) {
                                                        abandoned.store(true, ordering: .relaxed)
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return (needsScoring.indices.filter { needsScoring[$0] }, computedPerBlock.reduce(0, +))
        }

        /// Lowers a point's k bounds by the shifts and lists, ascending, the centroids
        /// for which neither the bound nor the half gap exceeds `limit`.
        ///
        /// - Returns: how many were written to `candidates`.
        @inline(__always)
        private static func shrink(
            _ bounds: UnsafeMutablePointer<Float>, by shifts: UnsafePointer<Float>, gaps: UnsafePointer<Float>,
            beyond limit: Float, count k: Int, into candidates: UnsafeMutablePointer<Int32>
        ) -> Int {
            #if arch(x86_64) && !ONERING_PORTABLE_ONLY
                if DotProduct.usesAVX512 { return onering_bounds_shrink_avx512(bounds, shifts, gaps, limit, k, candidates) }
            #endif
            var count = 0
            for j in 0..<k {
                bounds[j] -= shifts[j]
                if max(bounds[j], gaps[j]) <= limit {
                    candidates[count] = Int32(j)
                    count += 1
                }
            }
            return count
        }

        /// Half the distance between every pair of centroids (k × k), rounded down by
        /// the error of the float dot products it comes from; +∞ on the diagonal, so a
        /// point's own centroid is never a candidate.
        private func halfGapsBetweenCentroids(_ centroids: Matrix<Float>, norms: [Float], backend: BLASBackend) -> [Float] {
            let k = centroids.rows, d = centroids.columns
            var gram = [Float](repeating: 0, count: k * k)
            centroids.withUnsafeBufferPointer { c in
                gram.withUnsafeMutableBufferPointer { gram in
                    backend.multiplyTransposed(
                        m: k, n: k, k: d, a: c.baseAddress!, lda: d, b: c.baseAddress!, ldb: d,
                        c: gram.baseAddress!, ldc: k)
                }
            }
            return (0..<(k * k)).map { index in
                let a = index / k, b = index % k
                guard a != b else { return .infinity }
                let reach = Double(norms[a]).squareRoot() + Double(norms[b]).squareRoot()
                let squared = Double(norms[a]) + Double(norms[b]) - 2 * Double(gram[index]) - roundoff * reach * reach
                return Float(max(0, squared).squareRoot() / 2).nextDown
            }
        }

        /// Scores `rows` against every centroid (tiles of gathered rows, one ``CentroidScores`` call each)
        /// and resets all their bounds.
        private mutating func score(
            _ rows: [Int], points: Points, centroids: Matrix<Float>, metric: Metric,
            centroidNorms: [Float], margins: [Double], threads: Int, backend: BLASBackend
        ) {
            guard !rows.isEmpty else { return }
            let d = points.dims, k = centroids.rows, tileRows = tileRows
            let bias = scoreBias(metric, centroidNorms: centroidNorms)
            let workers = ParallelBlocks.workers(count: rows.count, blockSize: tileRows, threads: threads)
            let scratch = WorkerScratch(workers: workers, floats: tileRows * (d + k))
            defer { scratch.deallocate() }
            let scorer = CentroidScores(centroids, backend: backend)
            points.matrix.withUnsafeBufferPointer { x in
                upper.withUnsafeMutableBufferPointer { upper in
                    lower.withUnsafeMutableBufferPointer { lower in
                        assignments.withUnsafeMutableBufferPointer { assignments in
                            ParallelBlocks.forEach(count: rows.count, blockSize: tileRows, threads: workers) { worker, tile in
                                let gathered = scratch[worker], scores = gathered + tileRows * d
                                // Consecutive points (a full pass, an abandoned prune) are read in place.
                                let contiguous = rows[tile.upperBound - 1] - rows[tile.lowerBound] == tile.count - 1
                                if !contiguous {
                                    for (slot, index) in tile.enumerated() {
                                        (gathered + slot * d).update(from: x.baseAddress! + rows[index] * d, count: d)
                                    }
                                }
                                scorer.score(
                                    rows: contiguous ? x.baseAddress! + rows[tile.lowerBound] * d : UnsafePointer(gathered), count: tile.count,
                                    into: scores)
                                for (slot, index) in tile.enumerated() {
                                    let row = rows[index], rowScores = scores + slot * k, margin = margins[row]
                                    let best = bestCentroid(rowScores, bias: bias)
                                    let bounds = lower.baseAddress! + row * k
                                    for j in 0..<k {
                                        let squared = Double(points.squaredNorms[row]) + Double(centroidNorms[j]) - 2 * Double(rowScores[j])
                                        if j == best {
                                            upper[row] = max(0, squared + margin).squareRoot()
                                        }
                                        bounds[j] = Float(max(0, squared - margin).squareRoot()).nextDown
                                    }
                                    assignments[row] = Int32(best)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

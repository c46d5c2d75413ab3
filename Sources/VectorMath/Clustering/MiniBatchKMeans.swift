/// Mini-batch k-means (Sculley 2010) for corpora streamed from a ``RowBatchSource``:
/// k-means++ on the first batch, then each batch moves every centroid towards the
/// mean of its assigned rows with step count/(rows seen by that centroid).
public enum MiniBatchKMeans {
    /// Inputs of a run.
    public struct Parameters: Sendable {
        /// Clusters to find; at most the first batch's rows.
        public var k: Int
        /// Rows per batch. Default 4096.
        public var batchSize: Int
        /// Passes over the source. Default 3.
        public var passes: Int
        /// Seed of the seeding. Default 1.
        public var seed: UInt64
        /// Cosine or Euclidean. Default spherical.
        public var metric: KMeans.Metric
        /// Worker threads. Default: every core.
        public var threads: Int

        /// Parameters for `k` clusters with the documented defaults.
        public init(
            k: Int, batchSize: Int = 4096, passes: Int = 3, seed: UInt64 = 1,
            metric: KMeans.Metric = .spherical, threads: Int = CPUFeatures.current.activeCores
        ) {
            self.k = k
            self.batchSize = batchSize
            self.passes = passes
            self.seed = seed
            self.metric = metric
            self.threads = threads
        }
    }

    /// What a run produced.
    public struct Result: Sendable {
        /// Centroids, k × d.
        public var centroids: Matrix<Float>
        /// Rows each centroid absorbed over all passes.
        public var counts: [Int]
        /// Batches processed.
        public var batches: Int
    }

    /// Runs mini-batch k-means over `source`. Evaluate the centroids on the full data,
    /// when it is available, with ``KMeans/evaluate(_:centroids:metric:threads:backend:)``.
    ///
    /// - Throws: ``VectorMathError/Code/invalidArgument`` for bad parameters, an empty
    ///   source, or a first batch with fewer than k distinct rows; the source's errors;
    ///   NaN or ∞ in a batch.
    public static func run<Source: RowBatchSource>(
        _ source: inout Source, parameters: Parameters,
        backend: BLASBackend
    ) throws(VectorMathError) -> Result {
        guard parameters.k > 0, parameters.batchSize >= parameters.k, parameters.passes > 0, parameters.threads > 0 else {
            throw VectorMathError(.invalidArgument, "need k > 0, batch size ≥ k, passes > 0 and threads > 0")
        }
        let d = source.dims
        try source.rewind()
        guard let first = try source.nextBatch(maxRows: parameters.batchSize) else {
            throw VectorMathError(.invalidArgument, "the source has no rows")
        }
        guard first.columns == d else { throw VectorMathError(.dimensionMismatch, "a batch has dimension \(first.columns), expected \(d)") }
        var seeding = KMeans.Parameters(k: parameters.k, seed: parameters.seed, metric: parameters.metric, threads: parameters.threads)
        try KMeans.validate(first, seeding)
        seeding.seedingSampleSize = first.rows
        var centroids = try KMeans.seedPlusPlus(
            try KMeans.Points(first, metric: parameters.metric),
            parameters: seeding, seed: parameters.seed)
        var counts = [Int](repeating: 0, count: parameters.k)
        var batches = 0
        for _ in 0..<parameters.passes {
            try source.rewind()
            while let batch = try source.nextBatch(maxRows: parameters.batchSize) {
                guard batch.columns == d else {
                    throw VectorMathError(.dimensionMismatch, "a batch has dimension \(batch.columns), expected \(d)")
                }
                let points = try KMeans.Points(batch, metric: parameters.metric)
                let assigned = KMeans.assign(
                    points, centroids: centroids, metric: parameters.metric,
                    threads: parameters.threads, rowBlock: 2048, backend: backend)
                centroids.withUnsafeMutableBufferPointer { c in
                    for j in 0..<parameters.k where assigned.counts[j] > 0 {
                        counts[j] += assigned.counts[j]
                        // c ← c + (Σx − n·c) / total: the per-row steps 1/total of a batch at once.
                        let step = 1 / Float(counts[j])
                        let batchCount = Float(assigned.counts[j])
                        var norm: Float = 0
                        for i in j * d..<(j + 1) * d {
                            c[i] += step * (assigned.sums[i] - batchCount * c[i])
                            norm += c[i] * c[i]
                        }
                        if parameters.metric == .spherical, norm > 0 {
                            let scale = 1 / norm.squareRoot()
                            for i in j * d..<(j + 1) * d { c[i] *= scale }
                        }
                    }
                }
                batches += 1
            }
        }
        return Result(centroids: centroids, counts: counts, batches: batches)
    }
}

extension KMeans {
    /// Assigns the rows of `data` to fixed `centroids` and reports the objective, as
    /// a k-means result with no iterations.
    ///
    /// - Throws: ``VectorMathError/Code/dimensionMismatch`` and the data errors of ``run(_:parameters:backend:)``.
    public static func evaluate(
        _ data: Matrix<Float>, centroids: Matrix<Float>, metric: Metric,
        threads: Int = CPUFeatures.current.activeCores, backend: BLASBackend
    ) throws(VectorMathError) -> Result {
        var parameters = Parameters(k: centroids.rows, maxIterations: 1, metric: metric, initialCentroids: centroids, threads: threads)
        try validate(data, parameters)
        parameters.maxIterations = 0
        return lloyd(try Points(data, metric: metric), initial: centroids, parameters: parameters, backend: backend)
    }
}

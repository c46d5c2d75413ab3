import Dispatch

/// k-means clustering of row vectors: k-means++ seeding, Lloyd iterations with
/// GEMM-based assignment pruned by Elkan's bounds, empty-cluster repair, restarts.
///
/// Parameters in, result out: the algorithm never logs, it returns per-iteration
/// ``IterationStats``. Results are reproducible: the same seed gives bit-identical
/// centroids and assignments whatever the thread count, because rows are split
/// into fixed blocks whose partial sums are combined in block order.
public enum KMeans {
    /// What "close" means.
    public enum Metric: String, Sendable, CaseIterable {
        /// Cosine: centroids are normalised means, points go to the most similar
        /// centroid. The right choice for unit vectors (embeddings).
        case spherical
        /// Squared Euclidean distance, centroids are plain means (scikit-learn's k-means).
        case euclidean
    }

    /// The inputs of a clustering run.
    public struct Parameters: Sendable {
        /// Clusters to find; 1 ≤ k ≤ number of distinct points.
        public var k: Int
        /// Most Lloyd iterations per restart. Default 25.
        public var maxIterations: Int
        /// Stop when the objective changes by less than this fraction. Default 1e-4.
        public var tolerance: Double
        /// Seed of every random choice. Default 1.
        public var seed: UInt64
        /// Independent runs; the one with the best objective is kept. Default 1.
        public var restarts: Int
        /// Cosine or Euclidean. Default spherical.
        public var metric: Metric
        /// Start from these centroids (k × d) instead of seeding; restarts are then 1.
        public var initialCentroids: Matrix<Float>?
        /// Points k-means++ seeds from (a seeded sample); nil for ``defaultSeedingSampleSize(points:k:)``.
        public var seedingSampleSize: Int?
        /// Worker threads. Default: every core.
        public var threads: Int
        /// Rows per GEMM tile of the assignment step. Default 2048.
        public var rowBlock: Int
        /// Skip the point–centroid distances that Elkan's bounds prove cannot change
        /// an assignment. The result is the same as without (plain Lloyd's); only the
        /// work differs. Default true.
        public var usesBounds: Bool

        /// Parameters for `k` clusters with the documented defaults.
        public init(
            k: Int, maxIterations: Int = 25, tolerance: Double = 1e-4, seed: UInt64 = 1, restarts: Int = 1,
            metric: Metric = .spherical, initialCentroids: Matrix<Float>? = nil, seedingSampleSize: Int? = nil,
            threads: Int = CPUFeatures.current.activeCores, rowBlock: Int = 2048, usesBounds: Bool = true
        ) {
            self.k = k
            self.maxIterations = maxIterations
            self.tolerance = tolerance
            self.seed = seed
            self.restarts = restarts
            self.metric = metric
            self.initialCentroids = initialCentroids
            self.seedingSampleSize = seedingSampleSize
            self.threads = threads
            self.rowBlock = rowBlock
            self.usesBounds = usesBounds
        }
    }

    /// What one Lloyd iteration did.
    public struct IterationStats: Sendable, Equatable {
        /// The objective after this iteration's assignment (see ``Result/objective``).
        public var objective: Double
        /// Sum of squared Euclidean distances to the assigned centroids.
        public var sumOfSquares: Double
        /// Wall-clock seconds of the iteration.
        public var seconds: Double
        /// k · Σ nᵢ² / N²: 1 when clusters are equal, larger when unbalanced.
        public var imbalance: Double
        /// Empty clusters refilled by splitting the largest one after this assignment.
        public var emptyClustersRepaired: Int
        /// Point–centroid distances computed by the assignment: n · k for plain
        /// Lloyd's, fewer when bounds skip some.
        public var distancesComputed: Int
    }

    /// The outcome of a clustering run.
    public struct Result: Sendable {
        /// Centroids, k × d, row-major (unit length for spherical).
        public var centroids: Matrix<Float>
        /// The cluster of each point.
        public var assignments: [Int32]
        /// Cosine similarity of each point to its centroid.
        public var similarities: [Float]
        /// Spherical: mean cosine similarity (higher is better). Euclidean: sum of
        /// squared distances (lower is better).
        public var objective: Double
        /// Sum of squared Euclidean distances to the centroids (scikit-learn's inertia).
        public var sumOfSquares: Double
        /// Lloyd iterations run by the kept restart.
        public var iterations: Int
        /// Whether the kept restart stopped on tolerance rather than the iteration limit.
        public var converged: Bool
        /// Seconds spent seeding (all restarts).
        public var seedingSeconds: Double
        /// Per-iteration statistics of the kept restart.
        public var stats: [IterationStats]
        /// Points per cluster.
        public var counts: [Int]
    }

    /// Clusters the rows of `data` (n × d).
    ///
    /// - Throws: ``VectorMathError/Code/invalidArgument`` for k ≤ 0, k > n, n = 0, fewer
    ///   distinct points than k (k-means++ finds no new centre), bad iteration or
    ///   restart counts, or warm-start centroids of the wrong shape;
    ///   ``VectorMathError/Code/nonFiniteValue`` for NaN or ∞ in the data;
    ///   ``VectorMathError/Code/zeroVector`` for a zero row with the spherical metric.
    /// - Complexity: restarts × (seeding + iterations × 2·n·k·d).
    public static func run(_ data: Matrix<Float>, parameters: Parameters, backend: BLASBackend) throws(VectorMathError) -> Result {
        try validate(data, parameters)
        let points = try Points(data, metric: parameters.metric)
        var best: Result?
        var seedingSeconds = 0.0
        let restarts = parameters.initialCentroids == nil ? parameters.restarts : 1
        for restart in 0..<restarts {
            let started = DispatchTime.now().uptimeNanoseconds
            let initial: Matrix<Float>
            if let given = parameters.initialCentroids {
                initial = given
            } else {
                initial = try seedPlusPlus(points, parameters: parameters, seed: parameters.seed &+ UInt64(restart) &* 0x9E37_79B9_7F4A_7C15)
            }
            seedingSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let result = lloyd(points, initial: initial, parameters: parameters, backend: backend)
            if best == nil || result.isBetter(than: best!, metric: parameters.metric) { best = result }
        }
        best!.seedingSeconds = seedingSeconds
        return best!
    }

    static func validate(_ data: Matrix<Float>, _ parameters: Parameters) throws(VectorMathError) {
        guard data.rows > 0 else { throw VectorMathError(.invalidArgument, "k-means needs at least one point") }
        guard parameters.k > 0 else { throw VectorMathError(.invalidArgument, "k must be positive, got \(parameters.k)") }
        guard parameters.k <= data.rows else {
            throw VectorMathError(.invalidArgument, "k = \(parameters.k) is more than the \(data.rows) points")
        }
        guard parameters.maxIterations > 0, parameters.restarts > 0, parameters.threads > 0, parameters.rowBlock > 0,
            parameters.tolerance >= 0, parameters.seedingSampleSize.map({ $0 > 0 }) ?? true
        else {
            throw VectorMathError(.invalidArgument, "iterations, restarts, threads, row block and sample size must be positive, tolerance ≥ 0")
        }
        if let initial = parameters.initialCentroids {
            guard initial.rows == parameters.k, initial.columns == data.columns else {
                throw VectorMathError(
                    .dimensionMismatch,
                    "initial centroids are \(initial.rows) × \(initial.columns), expected \(parameters.k) × \(data.columns)")
            }
            guard initial.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
                throw VectorMathError(.nonFiniteValue, "initial centroids contain NaN or ∞")
            }
        }
    }
}

extension KMeans.Result {
    /// The median wall-clock seconds of one iteration (0 when none ran).
    public var medianIterationSeconds: Double {
        let times = stats.map(\.seconds).sorted()
        return times.isEmpty ? 0 : times[times.count / 2]
    }

    func isBetter(than other: KMeans.Result, metric: KMeans.Metric) -> Bool {
        metric == .spherical ? objective > other.objective : objective < other.objective
    }
}

import ArgumentParser
import VectorMath

/// `onering bench kmeans`: seeding time, time per Lloyd iteration and the objective,
/// on generated data or a `.npy` file.
struct KMeansBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmeans",
        abstract: "k-means: seeding time, ms/iter, objective and sum of squares (comparable with scikit-learn's inertia)."
    )

    @Option(help: "Points to generate.") var n: Int = 100_000
    @Option(help: "Dimension of generated points.") var dim: Int = 1536
    @Option(help: "Cluster centres of generated points.") var clusters: Int = 100
    @Option(help: "Noise of generated points around their centre, per coordinate (centres have unit variance): 0.6 well separated, 2 and more overlapping.")
    var spread: Float = 0.6
    @Option(help: "Seed of generated points and of k-means.") var seed: UInt64 = 42
    @Option(help: "Points from a .npy file (float32, 2-D) instead of generating.") var base: String?
    @Option(name: .short, help: "Clusters to find.") var k: Int = 64
    @Option(help: "Most Lloyd iterations.") var iterations: Int = 20
    @Option(help: "Stop when the objective changes by less than this fraction (0: run every iteration).")
    var tolerance: Double = 0
    @Option(help: "Restarts (the best objective is kept).") var restarts: Int = 1
    @Option(help: "Points k-means++ seeds from (default: min(n, max(64·k, 16384))).") var seedingSample: Int?
    @Flag(help: "Cosine (spherical) or squared Euclidean k-means.") var metric: KMeans.Metric = .spherical
    @Option(help: "Worker threads (default: every core).") var threads: Int = CPUFeatures.current.activeCores
    @Flag(inversion: .prefixedNo, help: "Prune distances with Elkan's bounds (same result as plain Lloyd's).")
    var bounds = true
    @Flag(inversion: .prefixedNo, help: "Also run plain Lloyd's from the same seed: ms/iter ratio and whether the results are equal.")
    var compare = true
    @Option(name: .customLong("save-base"), help: "Write the points to this .npy (for the scikit-learn script).")
    var saveBase: String?
    @Option(name: .customLong("centroids-out"), help: "Write the centroids (k × d float32) to this .npy.")
    var centroidsOut: String?
    @Option(name: .customLong("assign-out"), help: "Write the assignments (n × 1 int64) to this .npy.")
    var assignOut: String?

    func validate() throws {
        guard n > 0, dim > 0, k > 0, iterations > 0, restarts > 0, threads > 0, tolerance >= 0 else {
            throw ValidationError("--n, --dim, -k, --iterations, --restarts and --threads must be positive, --tolerance ≥ 0")
        }
    }

    func run() throws {
        let backend = try BLASBackend.shared()
        let data = try base.map(NPYFile.readMatrix) ?? SyntheticVectors(dims: dim, clusters: clusters, spread: spread, seed: seed).generate(count: n)
        if let saveBase { try NPYFile.write(data, to: saveBase) }
        print("backend: kernel \(backend.kernel) (\(backend.kernelSource.rawValue)), \(threads) worker threads")
        print("data: \(data.rows) × \(data.columns), k = \(k), \(metric.rawValue), \(iterations) iterations max, \(restarts) restart(s)")
        var parameters = KMeans.Parameters(
            k: k, maxIterations: iterations, tolerance: tolerance, seed: seed, restarts: restarts,
            metric: metric, seedingSampleSize: seedingSample, threads: threads, usesBounds: bounds)
        let started = now()
        let result = try KMeans.run(data, parameters: parameters, backend: backend)
        let total = now() - started
        let sample = seedingSample ?? KMeans.defaultSeedingSampleSize(points: data.rows, k: k)
        print("seeding: \(result.seedingSeconds.fixed(3)) s (k-means++ on \(min(sample, data.rows)) points, \(restarts) restart(s))")
        let pairs = Double(data.rows) * Double(k)
        for (index, iteration) in result.stats.enumerated() {
            let skipped = 1 - Double(iteration.distancesComputed) / pairs
            print(
                "  iteration \(index + 1): \((iteration.seconds * 1e3).fixed(1)) ms, distances skipped \((skipped * 100).fixed(1)) %, objective \(iteration.objective.fixed(6))"
            )
        }
        let label = bounds ? "lloyd with Elkan's bounds" : "plain lloyd"
        print("\(label): \(result.iterations) iterations, \((result.medianIterationSeconds * 1e3).fixed(1)) ms/iter median, converged: \(result.converged)")
        if compare && bounds {
            parameters.usesBounds = false
            let plain = try KMeans.run(data, parameters: parameters, backend: backend)
            let ratio = result.medianIterationSeconds / plain.medianIterationSeconds
            let same = plain.assignments == result.assignments && plain.centroids == result.centroids
            print(
                "plain lloyd (same seed): \(plain.iterations) iterations, \((plain.medianIterationSeconds * 1e3).fixed(1)) ms/iter median; bounds/plain \(ratio.fixed(2)) ×; assignments and centroids \(same ? "identical" : "DIFFER"), objective \(plain.objective.fixed(6))"
            )
        }
        print("total: \(total.fixed(3)) s (seeding, the first assignment and every iteration)")
        print("objective: \(result.objective.fixed(6)) (\(metric == .spherical ? "mean cosine similarity" : "sum of squared distances"))")
        print("sum of squared distances: \(result.sumOfSquares.fixed(3)) (scikit-learn inertia)")
        let imbalance = result.stats.last?.imbalance ?? 0
        let repairs = result.stats.reduce(0) { $0 + $1.emptyClustersRepaired }
        print(
            "imbalance: \(imbalance.fixed(3)), empty clusters repaired: \(repairs), smallest cluster \(result.counts.min() ?? 0), largest \(result.counts.max() ?? 0)"
        )
        if let centroidsOut { try NPYFile.write(result.centroids, to: centroidsOut) }
        if let assignOut {
            try NPYFile.write(int64: result.assignments.map(Int64.init), rows: result.assignments.count, columns: 1, to: assignOut)
        }
    }
}

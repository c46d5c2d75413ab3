import ArgumentParser
import Personalization
import VectorIndex
import VectorMath

/// `onering bench partitioned`: the engine's cohort-partitioned search on a `.npy` file,
/// for comparing with approximate indexes at matched recall.
struct PartitionedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partitioned",
        abstract: "k-means partitions + int8 scan of the nprobe nearest + float32 re-rank: recall@k against exact, single-query latency per nprobe.",
        discussion: """
            The engine's own partitioned search (`CohortPartition.search`, what a partitioned \
            context or search runs) on any vectors: spherical k-means into --lists partitions, each \
            member's int8 codes contiguous in its partition; a query scores the centroids, scans \
            the --nprobe nearest partitions' codes and re-ranks a shortlist of 2k + 32 in float32.
            """
    )

    @Option(help: "Base vectors (.npy, float32, 2-D).") var base: String
    @Option(help: "Query vectors (.npy).") var queries: String
    @Option(help: "Partitions (k-means clusters).") var lists: Int = 256
    @Option(help: "Partitions scanned per query, comma-separated.") var nprobe: String = "1,2,4,8,16,32,64"
    @Option(name: .short, help: "Results per query.") var k: Int = 10
    @Option(help: "Seconds to spend per nprobe.") var seconds: Double = 2
    @Option(help: "k-means iterations.") var iterations: Int = 20
    @Option(help: "Worker threads for the build, and for a query that scans many rows (as the engine).")
    var threads: Int = CPUFeatures.current.activeCores

    func validate() throws {
        guard lists > 0, k > 0, seconds > 0, iterations > 0, threads > 0 else {
            throw ValidationError("--lists, -k, --seconds, --iterations and --threads must be positive")
        }
        guard !probes.isEmpty, probes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--nprobe takes positive integers, e.g. 1,2,4") }
    }

    private var probes: [Int] { nprobe.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let backend = try BLASBackend.shared()
        var data = try NPYFile.readMatrix(base)
        try data.normalizeRows()
        var queryMatrix = try NPYFile.readMatrix(queries)
        guard queryMatrix.columns == data.columns else {
            throw ValidationError("queries have dimension \(queryMatrix.columns), the base \(data.columns)")
        }
        try queryMatrix.normalizeRows()
        guard lists <= data.rows, k <= data.rows else { throw ValidationError("--lists and -k must not exceed the \(data.rows) base vectors") }
        print("data: \(data.rows) × \(data.columns) base, \(queryMatrix.rows) queries, k = \(k), \(lists) partitions")

        let started = now()
        let clustering = try KMeans.run(data, parameters: .init(k: lists, maxIterations: iterations, threads: threads), backend: backend)
        let clustered = now()
        // The index holds the float32 rows the re-rank reads and the int8 codes the partition copies
        // (as the engine's); it takes the matrix over (at 1M rows a copy would not fit beside the rest).
        let rows = data.rows, dims = data.columns
        let index = try VectorIndex(
            ids: (0..<Int64(rows)).map { $0 }, vectors: consume data,
            configuration: .init(storage: .int8, search: .init(k: k, threads: threads)))
        var partition = CohortPartition(centroids: clustering.centroids, expectedSizes: clustering.counts)
        for (row, cohort) in clustering.assignments.enumerated() {
            _ = index.withCodes(of: Int64(row)) { partition.upsert(id: Int64(row), codes: $0, row: $1, cohort: Int(cohort)) }
        }
        let sizes = (0..<lists).map { partition.members(of: $0).count }
        print(
            "build: \((now() - started).fixed(2)) s (k-means \(clustering.iterations) iterations \((clustered - started).fixed(2)) s, "
                + "codes and partitions \((now() - clustered).fixed(2)) s; partitions \(sizes.min() ?? 0)–\(sizes.max() ?? 0) rows)")

        let exact = try index.search(batch: queryMatrix, k: k).map { Set($0.map(\.id)) }
        let centroidBytes = lists * dims * 4, rerankBytes = CohortPartition.shortlistWidth(k) * dims * 4
        try queryMatrix.withUnsafeBufferPointer { values in
            func query(_ q: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(rebasing: values[q * dims..<(q + 1) * dims]) }
            for nprobe in probes where nprobe <= lists {
                var hits = 0, scanned = 0
                for q in 0..<queryMatrix.rows {
                    hits +=
                        partition.search(query: query(q), k: k, nprobe: nprobe, index: index, threads: threads, backend: backend)
                        .filter { exact[q].contains($0.id) }.count
                    scanned += partition.nearestCohorts(to: query(q), count: nprobe, backend: backend).reduce(0) { $0 + sizes[Int($1.id)] }
                }
                var latencies: [Double] = []
                let begin = now()
                var q = 0
                while now() - begin < seconds || latencies.count < 10 {
                    let one = now()
                    _ = partition.search(query: query(q % queryMatrix.rows), k: k, nprobe: nprobe, index: index, threads: threads, backend: backend)
                    latencies.append(now() - one)
                    q += 1
                }
                let timing = Latencies(latencies)
                let rowsPerQuery = Double(scanned) / Double(queryMatrix.rows)
                let bytes = rowsPerQuery * Double(partition.codeStride + 12) + Double(centroidBytes + rerankBytes)
                print(
                    "partitioned: nprobe \(nprobe), recall@\(k) \((Double(hits) / Double(k * queryMatrix.rows)).fixed(4)), "
                        + "p50 \((timing.percentile(50) * 1e3).fixed(3)) ms, p99 \((timing.percentile(99) * 1e3).fixed(3)) ms, "
                        + "\(Int(rowsPerQuery.rounded())) rows and \((bytes / 1e6).fixed(2)) MB read a query")
            }
        }
    }
}

import ArgumentParser
import VectorIndex
import VectorMath

/// `onering bench partitioned`: the engine's cohort-partitioned search on a `.npy` file,
/// for comparing with approximate indexes at matched recall.
struct PartitionedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partitioned",
        abstract: "k-means partitions + exact scan of the nprobe nearest: recall@k against exact, single-query latency per nprobe.",
        discussion: """
            The engine's cohort-partitioned search on any vectors: spherical k-means (with \
            bounds) into --lists partitions, each an exact float32 index; a query scores the \
            centroids, scans the --nprobe nearest partitions and merges their top k. (The \
            engine scans float16 partitions and re-ranks in float32.)
            """
    )

    @Option(help: "Base vectors (.npy, float32, 2-D).") var base: String
    @Option(help: "Query vectors (.npy).") var queries: String
    @Option(help: "Partitions (k-means clusters).") var lists: Int = 256
    @Option(help: "Partitions scanned per query, comma-separated.") var nprobe: String = "1,2,4,8,16,32,64"
    @Option(name: .short, help: "Results per query.") var k: Int = 10
    @Option(help: "Seconds to spend per nprobe.") var seconds: Double = 2
    @Option(help: "k-means iterations.") var iterations: Int = 20
    @Option(help: "Worker threads for the build (queries run one at a time).") var threads: Int = CPUFeatures.current.activeCores

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

        var started = now()
        let clustering = try KMeans.run(data, parameters: .init(k: lists, maxIterations: iterations, threads: threads), backend: backend)
        var members = [[Int]](repeating: [], count: lists)
        for (row, cluster) in clustering.assignments.enumerated() { members[Int(cluster)].append(row) }
        let parameters = ExactSearch.Parameters(k: k, threads: 1)
        let partitions = try members.map { rows in
            let vectors = Matrix(columns: data.columns, values: rows.flatMap { data.row($0) })
            return try VectorIndex(ids: rows.map(Int64.init), vectors: vectors, configuration: .init(storage: .float32, search: parameters))
        }
        print(
            "build: \((now() - started).fixed(2)) s (k-means \(clustering.iterations) iterations, partitions \(members.map(\.count).min() ?? 0)–\(members.map(\.count).max() ?? 0) rows)"
        )

        // The exact index takes the matrix over (no copy): at 1M rows a copy would not fit beside the rest.
        let rows = data.rows
        let exactIndex = try VectorIndex(
            ids: (0..<Int64(rows)).map { $0 }, vectors: consume data,
            configuration: .init(storage: .float32, search: .init(k: k, threads: threads)))
        let exact = try exactIndex.search(batch: queryMatrix, k: k).map { Set($0.map(\.id)) }

        let centroids = clustering.centroids
        func search(_ query: [Float], nprobe: Int) throws -> [Neighbor] {
            var scores = [Float](repeating: 0, count: lists)
            centroids.withUnsafeBufferPointer { c in
                query.withUnsafeBufferPointer { q in
                    backend.multiply(rows: lists, columns: centroids.columns, a: c.baseAddress!, lda: centroids.columns, x: q.baseAddress!, y: &scores)
                }
            }
            let nearest = scores.indices.sorted { scores[$0] > scores[$1] }.prefix(nprobe)
            var found: [Neighbor] = []
            for partition in nearest where partitions[partition].count > 0 {
                found += try partitions[partition].search(vector: query, k: min(k, partitions[partition].count))
            }
            return Array(found.sorted { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }.prefix(k))
        }
        for nprobe in probes where nprobe <= lists {
            var hits = 0
            for q in 0..<queryMatrix.rows {
                hits += try search(queryMatrix.row(q), nprobe: nprobe).filter { exact[q].contains($0.id) }.count
            }
            var latencies: [Double] = []
            started = now()
            var q = 0
            while now() - started < seconds || latencies.count < 10 {
                let query = queryMatrix.row(q % queryMatrix.rows)
                let begin = now()
                _ = try search(query, nprobe: nprobe)
                latencies.append(now() - begin)
                q += 1
            }
            let timing = Latencies(latencies)
            print(
                "partitioned: nprobe \(nprobe), recall@\(k) \((Double(hits) / Double(k * queryMatrix.rows)).fixed(4)), p50 \((timing.percentile(50) * 1e3).fixed(3)) ms, p99 \((timing.percentile(99) * 1e3).fixed(3)) ms"
            )
        }
    }
}

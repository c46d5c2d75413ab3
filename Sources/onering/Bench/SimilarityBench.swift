import ArgumentParser
import Foundation
import VectorIndex
import VectorMath

/// `onering bench similarity`: single and batched exact top-k, float32 and float16,
/// against the sgemv and sgemm limits measured in the same run.
struct SimilarityBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "Exact cosine top-k: queries/s, latency, GB/s and GFLOP/s against sgemv/sgemm limits."
    )

    @Option(help: "Base vectors to generate.") var n: Int = 100_000
    @Option(help: "Dimension of generated vectors.") var dim: Int = 1536
    @Option(help: "Cluster centres of generated vectors (0: uniform).") var clusters: Int = 100
    @Option(help: "Seed of generated vectors.") var seed: UInt64 = 42
    @Option(help: "Base vectors from a .npy (float32, 2-D) or .fvecs file instead of generating.") var base: String?
    @Option(help: "Query vectors from a .npy or .fvecs file (default: generated, or the base's first rows).") var queries: String?
    @Option(name: .customLong("query-count"), help: "Queries to run when they are generated.") var queryCount: Int = 1024
    @Option(name: .short, help: "Results per query.") var k: Int = 10
    @Option(help: "Queries per batch in the batched run.") var batch: Int = 256
    @Option(help: "Worker threads (default: every core).") var threads: Int = CPUFeatures.current.activeCores
    @Option(help: "Seconds to spend on each timed run.") var seconds: Double = 3
    @Flag(inversion: .prefixedNo, help: "Also run the float16 storage mode.") var float16 = true
    @Flag(inversion: .prefixedNo, help: "Also run the int8 storage mode (int8 scores, exact float32 re-rank).") var int8 = true
    @Option(name: .customLong("ids-out"), help: "Write the top-k row numbers (queries × k, int64, best first) to this .npy.")
    var idsOut: String?
    @Option(name: .customLong("save-base"), help: "Write the base vectors to this .npy (for the peer scripts).")
    var saveBase: String?
    @Option(name: .customLong("save-queries"), help: "Write the query vectors to this .npy.")
    var saveQueries: String?

    func validate() throws {
        guard n > 0, dim > 0 else { throw ValidationError("--n and --dim must be positive") }
        guard clusters >= 0 else { throw ValidationError("--clusters must not be negative") }
        guard k > 0 else { throw ValidationError("-k must be positive") }
        guard batch > 0, queryCount > 0, threads > 0, seconds > 0 else {
            throw ValidationError("--batch, --query-count, --threads and --seconds must be positive")
        }
    }

    func run() throws {
        let backend = try BLASBackend.shared()
        print("backend: \(backend.library), kernel \(backend.kernel) (\(backend.kernelSource.rawValue)), \(threads) worker threads")

        var (baseMatrix, queryMatrix) = try loadData()
        guard k <= baseMatrix.rows else {
            throw ValidationError("-k \(k) is larger than the \(baseMatrix.rows) base vectors")
        }
        if let saveBase { try NPYFile.write(baseMatrix, to: saveBase) }
        if let saveQueries { try NPYFile.write(queryMatrix, to: saveQueries) }
        let rows = baseMatrix.rows, dims = baseMatrix.columns
        print("data: \(rows) × \(dims) base, \(queryMatrix.rows) queries, k = \(k)")

        var parameters = ExactSearch.Parameters(k: k, threads: threads)
        parameters.queryBlock = batch
        var index = try VectorIndex(dims: dims, configuration: .init(storage: .float32, search: parameters))
        try index.upsert(ids: (0..<Int64(rows)).map { $0 }, vectors: baseMatrix)
        // The index holds the vectors now; the other modes read its rows (shared, not
        // copied), so 1M × 1536 in all three modes fits in 24 GiB.
        baseMatrix = Matrix(columns: dims)
        let vectors = index.exportFloat32()
        let indexBytes = index.residentBytes
        let dataBytes = rows * dims * 4
        print(
            "memory: index resident (mincore of its buffers) \(mebibytes(indexBytes)) MiB for \(mebibytes(dataBytes)) MiB of vectors (\((Double(indexBytes) / Double(dataBytes)).fixed(3)) ×, limit 1.1 × + 32 MiB)"
        )

        let normalizedQueries = try normalized(queryMatrix)
        let gemmLimit = measureGEMMLimit(index: index, queries: normalizedQueries, backend: backend)
        print(
            "limit sgemm: \((gemmLimit.secondsPerCall * 1e3).fixed(1)) ms per \(min(batch, normalizedQueries.rows)) × \(rows) × \(dims), \(gemmLimit.gigaflops.fixed(1)) GFLOP/s"
        )

        var quantized: VectorIndex?
        if int8 {
            var index8 = try VectorIndex(dims: dims, configuration: .init(storage: .int8, search: parameters))
            try index8.upsert(ids: (0..<Int64(rows)).map { $0 }, vectors: vectors)
            let bytes = index8.residentBytes
            print(
                "memory: int8 index resident \(mebibytes(bytes)) MiB (\((Double(bytes) / Double(dataBytes)).fixed(3)) × the float32 data; float32 rows kept for the re-rank), kernel \(Int8Kernel.best.rawValue)"
            )
            quantized = index8
        }
        var half: VectorIndex?
        if float16 {
            var index16 = try VectorIndex(dims: dims, configuration: .init(storage: .float16, search: parameters))
            try index16.upsert(ids: (0..<Int64(rows)).map { $0 }, vectors: vectors)
            half = index16
        }
        // The library's threads spin for a while after a threaded call and would
        // slow whatever runs next, so the sgemv limit is timed on its own, before.
        let gemvLimit = measureGEMVLimit(index: index, queries: normalizedQueries, backend: backend)
        print("limit sgemv: \((gemvLimit.secondsPerCall * 1e3).fixed(2)) ms per \(rows) × \(dims), \(gemvLimit.gigabytesPerSecond.fixed(1)) GB/s")
        // float32, float16 and int8 queries alternate, so that all see the same machine.
        let searches = [index] + (half.map { [$0] } ?? []) + (quantized.map { [$0] } ?? [])
        let singles = try runSingle(searches.map { index in { try index.search(vector: $0, k: k) } }, queries: normalizedQueries)
        let single32 = singles[0]
        report("single", "float32", single32, rows: rows, dims: dims, elementSize: 4, queriesPerCall: 1)
        print("single float32: p50 / sgemv = \((single32.latencies.percentile(50) / gemvLimit.secondsPerCall).fixed(3)) (target ≤ 1.15)")

        let batch32 = try runBatch(index, queries: normalizedQueries)
        report("batch", "float32", batch32, rows: rows, dims: dims, elementSize: 4, queriesPerCall: min(batch, normalizedQueries.rows))
        let batchGFLOPs = 2 * Double(min(batch, normalizedQueries.rows)) * Double(rows) * Double(dims) / batch32.latencies.percentile(50) / 1e9
        print("batch float32: GFLOP/s / sgemm = \((batchGFLOPs / gemmLimit.gigaflops).fixed(3)) (target ≥ 0.85)")

        if let half {
            let single16 = singles[1]
            report("single", "float16", single16, rows: rows, dims: dims, elementSize: 2, queriesPerCall: 1)
            let batch16 = try runBatch(half, queries: normalizedQueries)
            report("batch", "float16", batch16, rows: rows, dims: dims, elementSize: 2, queriesPerCall: min(batch, normalizedQueries.rows))
            let ratio = single16.latencies.percentile(50) / single32.latencies.percentile(50)
            let recall = recallAtK(truth: batch32.results, found: batch16.results)
            print("float16: single p50 / float32 = \(ratio.fixed(3)) (target ≤ 0.6), recall@\(k) against float32 = \(recall.fixed(4))")
        }

        if let quantized {
            let single8 = singles[searches.count - 1]
            report("single", "int8", single8, rows: rows, dims: dims, elementSize: 1, queriesPerCall: 1)
            print(
                "single int8: p50 / float32 = \((single8.latencies.percentile(50) / single32.latencies.percentile(50)).fixed(3)), p50 / sgemv = \((single8.latencies.percentile(50) / gemvLimit.secondsPerCall).fixed(3)) (target ≤ 0.4), ids equal to float32 exact: \(sameIDs(single32.results, single8.results))"
            )
            let batch8 = try runBatch(quantized, queries: normalizedQueries)
            report("batch", "int8", batch8, rows: rows, dims: dims, elementSize: 1, queriesPerCall: min(batch, normalizedQueries.rows))
            let qps8 = Double(min(batch, normalizedQueries.rows)) / batch8.latencies.percentile(50)
            let sgemmQPS = Double(min(batch, normalizedQueries.rows)) / gemmLimit.secondsPerCall
            let firstBatch = Matrix(columns: dims, values: (0..<min(batch, normalizedQueries.rows)).flatMap { normalizedQueries.row($0) })
            let reranked = try quantized.searchReportingReranks(batch: firstBatch, k: k).map(\.reranked)
            print(
                "batch int8: q/s / sgemm-bound q/s = \((qps8 / sgemmQPS).fixed(3)) (target ≥ 2.5), ids equal to float32 exact: \(sameIDs(batch32.results, batch8.results)), rows re-ranked per query: mean \((Double(reranked.reduce(0, +)) / Double(reranked.count)).fixed(1)), max \(reranked.max() ?? 0)"
            )
        }

        if let idsOut {
            let ids = batch32.results.flatMap { hits in hits.map(\.id) }
            try NPYFile.write(int64: ids, rows: batch32.results.count, columns: k, to: idsOut)
            print("wrote \(batch32.results.count) × \(k) row numbers to \(idsOut)")
        }
    }

    // MARK: Data

    private func loadData() throws -> (Matrix<Float>, Matrix<Float>) {
        guard let base else {
            let generator = SyntheticVectors(dims: dim, clusters: clusters, seed: seed)
            return (generator.generate(count: n, stream: 0), generator.generate(count: queryCount, stream: 1))
        }
        let baseMatrix = try Self.readMatrix(base)
        if let queries {
            let queryMatrix = try Self.readMatrix(queries)
            guard queryMatrix.columns == baseMatrix.columns else {
                throw ValidationError("queries have dimension \(queryMatrix.columns), the base \(baseMatrix.columns)")
            }
            return (baseMatrix, queryMatrix)
        }
        let count = min(queryCount, baseMatrix.rows)
        var first = Matrix<Float>(columns: baseMatrix.columns, capacity: count)
        for r in 0..<count { first.append(row: baseMatrix.row(r)) }
        return (baseMatrix, first)
    }

    private static func readMatrix(_ path: String) throws -> Matrix<Float> {
        if path.hasSuffix(".fvecs") { return try FVecsFile.readMatrix(path) }
        if path.hasSuffix(".npy") { return try NPYFile.readMatrix(path) }
        throw ValidationError("\(path): expected a .npy or .fvecs file")
    }

    private func normalized(_ matrix: Matrix<Float>) throws -> Matrix<Float> {
        var copy = matrix
        try copy.normalizeRows()
        return copy
    }

    // MARK: Runs

    struct Run {
        var latencies: Latencies
        var queries: Int
        var seconds: Double
        var results: [[Neighbor]]
    }

    private func measureGEMVLimit(index: VectorIndex, queries: Matrix<Float>, backend: BLASBackend) -> BLASBackend.ProbeResult {
        let base = index.exportFloat32()
        return base.withUnsafeBufferPointer { rows in
            queries.withUnsafeBufferPointer { query in
                backend.probeGEMV(
                    rows: rows.baseAddress!, n: base.rows, k: base.columns, query: query.baseAddress!,
                    threads: threads, seconds: min(seconds, 2))
            }
        }
    }

    private func measureGEMMLimit(index: VectorIndex, queries: Matrix<Float>, backend: BLASBackend) -> BLASBackend.ProbeResult {
        let base = index.exportFloat32()
        return base.withUnsafeBufferPointer { rows in
            queries.withUnsafeBufferPointer { query in
                backend.probeGEMM(
                    queries: query.baseAddress!, m: min(batch, queries.rows), rows: rows.baseAddress!,
                    n: base.rows, k: base.columns, threads: threads, seconds: min(seconds, 2))
            }
        }
    }

    /// Times one query at a time through each contender in turn, for `seconds` per contender.
    private func runSingle(_ contenders: [([Float]) throws -> [Neighbor]], queries: Matrix<Float>) throws -> [Run] {
        for search in contenders { _ = try search(queries.row(0)) }
        var latencies = [[Double]](repeating: [], count: contenders.count)
        var results = [[[Neighbor]]](repeating: [], count: contenders.count)
        let start = now()
        var q = 0
        // Contenders take turns of 32 consecutive queries: each sees the same machine over the run,
        // and reads its own rows from cache as a peer timed alone does (a turn of one query each
        // had every mode read its rows from memory: the three indexes overflow the last-level cache).
        let turn = 32
        repeat {
            for (i, search) in contenders.enumerated() {
                for j in q..<q + turn {
                    let vector = queries.row(j % queries.rows)
                    let before = now()
                    let hits = try search(vector)
                    latencies[i].append(now() - before)
                    if j < queries.rows { results[i].append(hits) }
                }
            }
            q += turn
        } while now() - start < seconds * Double(contenders.count) || q < min(queries.rows, 20)
        // Each contender's rate is over its own summed latencies, its share of the wall time.
        return contenders.indices.map { i in
            Run(latencies: Latencies(latencies[i]), queries: q, seconds: latencies[i].reduce(0, +), results: results[i])
        }
    }

    private func runBatch(_ index: VectorIndex, queries: Matrix<Float>) throws -> Run {
        let size = min(batch, queries.rows)
        var batches: [Matrix<Float>] = []
        var start = 0
        while start < queries.rows {
            let end = min(start + size, queries.rows)
            var block = Matrix<Float>(columns: queries.columns, capacity: end - start)
            for r in start..<end { block.append(row: queries.row(r)) }
            batches.append(block)
            start = end
        }
        var latencies: [Double] = []
        var results: [[Neighbor]] = []
        var answered = 0
        let began = now()
        var i = 0
        repeat {
            let block = batches[i % batches.count]
            let before = now()
            let hits = try index.search(batch: block, k: k)
            if block.rows == size { latencies.append(now() - before) }
            if i < batches.count { results += hits }
            answered += block.rows
            i += 1
        } while now() - began < seconds || i < max(batches.count, 2)
        return Run(latencies: Latencies(latencies), queries: answered, seconds: now() - began, results: results)
    }

    private func report(_ mode: String, _ storage: String, _ run: Run, rows: Int, dims: Int, elementSize: Int, queriesPerCall: Int) {
        let p50 = run.latencies.percentile(50), p99 = run.latencies.percentile(99)
        let qps = Double(run.queries) / run.seconds
        let gigabytes = Double(rows * dims * elementSize) / p50 / 1e9
        let gigaflops = 2 * Double(queriesPerCall) * Double(rows) * Double(dims) / p50 / 1e9
        let unit = queriesPerCall == 1 ? "per query" : "per batch of \(queriesPerCall)"
        print(
            "\(mode) \(storage): \(qps.fixed(1)) q/s, p50 \((p50 * 1e3).fixed(2)) ms, p99 \((p99 * 1e3).fixed(2)) ms \(unit), \(gigabytes.fixed(1)) GB/s, \(gigaflops.fixed(1)) GFLOP/s"
        )
    }

    /// How many queries have the same ids in both: "identical n/m", and "equal up to ties" where
    /// every position that differs holds scores within float32 rounding (2e-6) of each other.
    private func sameIDs(_ truth: [[Neighbor]], _ found: [[Neighbor]]) -> String {
        let count = min(truth.count, found.count)
        let identical = zip(truth, found).filter { $0.map(\.id) == $1.map(\.id) }.count
        let upToTies = zip(truth, found).filter { expected, got in
            expected.count == got.count && zip(expected, got).allSatisfy { $0.id == $1.id || abs($0.score - $1.score) <= 2e-6 }
        }.count
        return "identical \(identical)/\(count), equal up to rounding ties \(upToTies)/\(count) = \((Double(upToTies) / Double(max(1, count))).fixed(3))"
    }

    private func recallAtK(truth: [[Neighbor]], found: [[Neighbor]]) -> Double {
        var hits = 0, total = 0
        for (expected, got) in zip(truth, found) {
            let expectedIDs = Set(expected.map(\.id))
            hits += got.filter { expectedIDs.contains($0.id) }.count
            total += expected.count
        }
        return Double(hits) / Double(max(total, 1))
    }

    private func mebibytes(_ bytes: Int) -> String { (Double(bytes) / 1_048_576).fixed(1) }
}

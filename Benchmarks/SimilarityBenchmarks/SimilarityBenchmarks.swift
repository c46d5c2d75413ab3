import Benchmark
import VectorIndex
import VectorMath

/// The hot paths of similarity search on 20,000 × 1536 generated creators
/// (`swift package benchmark --target SimilarityBenchmarks`). The full 100,000-row
/// figures against the machine's sgemv/sgemm limits come from
/// `onering bench similarity`.
final class SearchState: Sendable {
    static let shared = SearchState()

    let float32: VectorIndex
    let float16: VectorIndex
    let queries: Matrix<Float>
    let query: [Float]
    let scores: [Float]

    private init() {
        let generator = SyntheticVectors(dims: 1536, clusters: 50, seed: 42)
        let base = generator.generate(count: 20_000)
        let ids = (0..<Int64(base.rows)).map { $0 }
        var float32 = try! VectorIndex(dims: 1536)
        try! float32.upsert(ids: ids, vectors: base)
        var float16 = try! VectorIndex(dims: 1536, configuration: .init(storage: .float16))
        try! float16.upsert(ids: ids, vectors: base)
        self.float32 = float32
        self.float16 = float16
        queries = generator.generate(count: 256, stream: 1)
        query = queries.row(0)
        var random = SplitMix64(seed: 1)
        scores = (0..<20_000).map { _ in random.nextFloat() }
    }
}

let benchmarks: @Sendable () -> Void = {
    // OpenBLAS reads its kernel choice from the environment as it loads: load it first.
    _ = try? BLASBackend.shared()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        maxDuration: .seconds(3),
        maxIterations: 1_000
    )
    let buildState: Benchmark.BenchmarkSetupHook = { _ = SearchState.shared }

    Benchmark(
        "search single float32 20k×1536 k10",
        closure: { benchmark in
            let state = SearchState.shared
            for _ in benchmark.scaledIterations { blackHole(try state.float32.search(vector: state.query, k: 10)) }
        }, setup: buildState)

    Benchmark(
        "search single float16 20k×1536 k10",
        closure: { benchmark in
            let state = SearchState.shared
            for _ in benchmark.scaledIterations { blackHole(try state.float16.search(vector: state.query, k: 10)) }
        }, setup: buildState)

    Benchmark(
        "search batch256 float32 20k×1536 k10",
        closure: { benchmark in
            let state = SearchState.shared
            for _ in benchmark.scaledIterations { blackHole(try state.float32.search(batch: state.queries, k: 10)) }
        }, setup: buildState)

    Benchmark(
        "top-k selection of 20k scores k10",
        closure: { benchmark in
            let state = SearchState.shared
            for _ in benchmark.scaledIterations {
                var selection = TopK(k: 10)
                state.scores.withUnsafeBufferPointer { scores in
                    selection.offer(scores: scores.baseAddress!, count: scores.count) { Int64($0) }
                }
                blackHole(selection.sorted())
            }
        }, setup: buildState)
}

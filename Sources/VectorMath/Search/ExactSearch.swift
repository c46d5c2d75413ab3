/// Exact maximum-inner-product (cosine, for unit vectors) top-k search over a matrix.
///
/// One query is scored with GEMV (or the float16 kernel) over blocks of rows; a
/// batch with one GEMM per (query block × row block) tile. The top-k selection is
/// fused into the tile loop: each tile's scores are filtered against the running
/// k-th best while they are still in cache, so selection costs a comparison per
/// score rather than a separate pass like numpy's argpartition. Tiles run in
/// parallel on `threads` workers with single-threaded BLAS, and per-worker
/// selections merge at the end; the order of ``Neighbor`` is total, so the
/// answer is the same for any thread count or block size.
public enum ExactSearch {
    /// Tuning of a search. The defaults suit 1536-dim float32 on a 1 MiB L2 cache.
    public struct Parameters: Sendable, Equatable {
        /// Results per query (fewer when fewer rows qualify).
        public var k: Int
        /// Worker threads; BLAS itself runs single-threaded inside each.
        public var threads: Int
        /// Queries per GEMM tile.
        public var queryBlock: Int
        /// Rows per GEMM tile in batched search.
        public var rowBlock: Int
        /// Rows per GEMV block in single-query search.
        public var singleQueryRowBlock: Int

        /// Parameters for the best `k`, using every core.
        public init(
            k: Int,
            threads: Int = CPUFeatures.current.activeCores,
            queryBlock: Int = 256,
            rowBlock: Int = 2048,
            singleQueryRowBlock: Int = 8192
        ) {
            self.k = k
            self.threads = threads
            self.queryBlock = queryBlock
            self.rowBlock = rowBlock
            self.singleQueryRowBlock = singleQueryRowBlock
        }
    }

    /// Which rows a search considers.
    public enum Rows: Sendable {
        /// Every row of the matrix.
        case all
        /// Only these rows (row numbers, ascending, no duplicates).
        case candidates([Int])
    }

    /// What id a row reports.
    public enum Labels: @unchecked Sendable {
        /// The row number.
        case rowNumbers
        /// `ids[row]`; rows whose id is `skipped` are never returned (deleted rows).
        case ids(UnsafeBufferPointer<Int64>, skipped: Int64)
    }

    /// The top `parameters.k` rows of `base` for each query, best first.
    ///
    /// - Parameters:
    ///   - queries: row-major, `queryCount × base.columns`, finite.
    ///   - base: the rows to search, `n × d`.
    /// - Returns: one list per query, each `min(k, qualifying rows)` long.
    /// - Throws: ``VectorMathError/Code/invalidArgument`` when `rows` names a row outside `base`
    ///   or is not ascending without repeats, or `labels` has fewer ids than `base` has rows
    ///   (checked before anything is read).
    /// - Complexity: 2·queries·rows·d operations; reads `base` once per query block.
    public static func search<Element: VectorElement>(
        queries: UnsafeBufferPointer<Float>,
        in base: Matrix<Element>,
        rows: Rows = .all,
        labels: Labels = .rowNumbers,
        parameters: Parameters,
        backend: BLASBackend
    ) throws(VectorMathError) -> [[Neighbor]] {
        if case .candidates(let list) = rows {
            var previous = -1
            for row in list {
                guard row > previous, row < base.rows else {
                    throw VectorMathError(.invalidArgument, "candidate row \(row) is out of order or outside the \(base.rows) rows")
                }
                previous = row
            }
        }
        if case .ids(let ids, _) = labels, ids.count < base.rows {
            throw VectorMathError(.invalidArgument, "\(ids.count) ids label \(base.rows) rows")
        }
        let dims = base.columns
        precondition(queries.count % dims == 0, "queries of \(queries.count) floats do not fill rows of \(dims)")
        precondition(parameters.k > 0 && parameters.threads > 0 && parameters.queryBlock > 0 && parameters.rowBlock > 0)
        let queryCount = queries.count / dims
        var results: [[Neighbor]] = []
        results.reserveCapacity(queryCount)
        var start = 0
        while start < queryCount {
            let block = min(parameters.queryBlock, queryCount - start)
            let tile = UnsafeBufferPointer(rebasing: queries[start * dims..<(start + block) * dims])
            let selections =
                block == 1
                ? [searchOne(query: tile, in: base, rows: rows, labels: labels, parameters: parameters, backend: backend)]
                : searchBlock(queries: tile, in: base, rows: rows, labels: labels, parameters: parameters, backend: backend)
            results += selections.map { $0.sorted() }
            start += block
        }
        return results
    }

    private static func searchOne<Element: VectorElement>(
        query: UnsafeBufferPointer<Float>,
        in base: Matrix<Element>,
        rows: Rows,
        labels: Labels,
        parameters: Parameters,
        backend: BLASBackend
    ) -> TopK {
        let dims = base.columns
        let blockSize = parameters.singleQueryRowBlock
        let span = rows.count(in: base)
        let workers = ParallelBlocks.workers(count: span, blockSize: blockSize, threads: parameters.threads)
        let gathers = rows.needsGather
        let scores = WorkerScratch(workers: workers, floats: blockSize)
        let gathered = WorkerScratch(workers: gathers ? workers : 0, floats: blockSize * dims)
        defer {
            scores.deallocate()
            gathered.deallocate()
        }
        var selections = [TopK](repeating: TopK(k: parameters.k), count: workers)
        selections.withUnsafeMutableBufferPointer { selections in
            base.withUnsafeBufferPointer { matrix in
                ParallelBlocks.forEach(count: span, blockSize: blockSize, threads: workers) { worker, range in
                    let out = scores[worker]
                    switch rows {
                    case .all:
                        Element.dotRows(
                            matrix.baseAddress! + range.lowerBound * dims, count: range.count, dims: dims,
                            query: query.baseAddress!, scores: out, backend: backend)
                    case .candidates(let list):
                        gather(list[range], from: matrix.baseAddress!, dims: dims, into: gathered[worker])
                        backend.multiply(
                            rows: range.count, columns: dims, a: gathered[worker], lda: dims,
                            x: query.baseAddress!, y: out)
                    }
                    selections[worker].offer(scores: out, count: range.count) { i in
                        labels.label(ofRow: rows.row(range.lowerBound + i))
                    }
                }
            }
        }
        return merged(selections)
    }

    private static func searchBlock<Element: VectorElement>(
        queries: UnsafeBufferPointer<Float>,
        in base: Matrix<Element>,
        rows: Rows,
        labels: Labels,
        parameters: Parameters,
        backend: BLASBackend
    ) -> [TopK] {
        let dims = base.columns
        let queryCount = queries.count / dims
        let blockSize = parameters.rowBlock
        let span = rows.count(in: base)
        let workers = ParallelBlocks.workers(count: span, blockSize: blockSize, threads: parameters.threads)
        let converts = rows.needsGather || Element.self != Float.self
        let scores = WorkerScratch(workers: workers, floats: queryCount * blockSize)
        let converted = WorkerScratch(workers: converts ? workers : 0, floats: blockSize * dims)
        defer {
            scores.deallocate()
            converted.deallocate()
        }
        var selections = [[TopK]](repeating: [TopK](repeating: TopK(k: parameters.k), count: queryCount), count: workers)
        selections.withUnsafeMutableBufferPointer { selections in
            base.withUnsafeBufferPointer { matrix in
                ParallelBlocks.forEach(count: span, blockSize: blockSize, threads: workers) { worker, range in
                    let out = scores[worker]
                    let multiply = { (block: UnsafePointer<Float>) in
                        backend.multiplyTransposed(
                            m: queryCount, n: range.count, k: dims,
                            a: queries.baseAddress!, lda: dims, b: block, ldb: dims,
                            c: out, ldc: range.count)
                    }
                    switch rows {
                    case .all:
                        Element.withFloatRows(
                            matrix.baseAddress! + range.lowerBound * dims, count: range.count, dims: dims,
                            scratch: converts ? converted[worker] : nil, multiply)
                    case .candidates(let list):
                        gather(list[range], from: matrix.baseAddress!, dims: dims, into: converted[worker])
                        multiply(converted[worker])
                    }
                    for q in 0..<queryCount {
                        selections[worker][q].offer(scores: out + q * range.count, count: range.count) { i in
                            labels.label(ofRow: rows.row(range.lowerBound + i))
                        }
                    }
                }
            }
        }
        return (0..<queryCount).map { q in merged(selections.map { $0[q] }) }
    }

    private static func merged(_ selections: [TopK]) -> TopK {
        var total = selections[0]
        for other in selections.dropFirst() { total.merge(other) }
        return total
    }

    /// Copies the listed rows, as float, one after another into `destination`.
    private static func gather<Element: VectorElement>(
        _ list: ArraySlice<Int>, from matrix: UnsafePointer<Element>, dims: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        for (i, row) in list.enumerated() {
            Element.convert(matrix + row * dims, to: destination + i * dims, count: dims)
        }
    }
}

extension ExactSearch.Rows {
    func count<Element>(in base: Matrix<Element>) -> Int {
        switch self {
        case .all: base.rows
        case .candidates(let list): list.count
        }
    }

    var needsGather: Bool {
        if case .candidates = self { true } else { false }
    }

    /// The row number of the `position`-th considered row.
    @inline(__always)
    func row(_ position: Int) -> Int {
        switch self {
        case .all: position
        case .candidates(let list): list[position]
        }
    }
}

extension ExactSearch.Labels {
    @inline(__always)
    func label(ofRow row: Int) -> Int64? {
        switch self {
        case .rowNumbers: Int64(row)
        case .ids(let ids, let skipped): ids[row] == skipped ? nil : ids[row]
        }
    }
}

/// Exact top-k search that scores every row in int8 and re-ranks in float32 only the rows
/// that could still be in the top k: the ids equal a float32 scan's, not approximately.
///
/// The bound: with the query `q = ŝ·c + e` (its codes `c`, scale `ŝ`, rounding error `e`) and
/// a unit row `x = s·d + f`, `q·x − (ŝ·s)(c·d) = (ŝ·c)·f + e·x`, so the int8 score is within
/// `‖ŝ·c‖·‖f‖ + ‖e‖` of the exact one (Cauchy–Schwarz, ‖x‖ = 1), where `‖f‖` is the row's
/// stored error norm. After the shortlist's exact scores give the k-th best exact score τ, every
/// row whose int8 score plus its own bound reaches τ is scored exactly too; no other row can
/// enter the top k. docs/DESIGN.md has the derivation and the figures.
public enum Int8Search {
    /// One query's answer.
    public struct Result: Sendable {
        /// The top k, best first, with exact float32 scores.
        public var neighbors: [Neighbor]
        /// Rows scored exactly (the shortlist and the rows the bound let in).
        public var reranked: Int
    }

    /// The first shortlist: k plus this many rows are re-ranked before the bound is applied.
    static let shortlistMargin = 32

    /// A query as the kernels take it.
    struct EncodedQuery {
        /// The query's codes + 128, padded with 128 (times zero row codes: nothing) to the stride.
        var bytes: [UInt8]
        var scale: Float
        /// ‖ŝ·c‖ and ‖e‖ of the bound.
        var codeNorm: Float
        var errorNorm: Float
    }

    static func encode(_ query: UnsafeBufferPointer<Float>, stride: Int) -> EncodedQuery {
        var codes = [Int8](repeating: 0, count: query.count)
        let (scale, errorNorm, _) = codes.withUnsafeMutableBufferPointer { Int8Rows.quantize(query, into: $0) }
        var bytes = [UInt8](repeating: 128, count: stride)
        var squares: Double = 0
        for (index, code) in codes.enumerated() {
            bytes[index] = UInt8(Int(code) + 128)
            squares += Double(code) * Double(code)
        }
        return EncodedQuery(bytes: bytes, scale: scale, codeNorm: (Float(squares.squareRoot()) * scale).nextUp, errorNorm: errorNorm)
    }

    /// The top `k` rows of `exact` for each of the `queryCount` unit queries (row-major), scored
    /// through `codes` (the same rows, quantised) and re-ranked in `exact`.
    ///
    /// - Parameters:
    ///   - labels: row numbers or ids (rows whose id is the skipped one are never returned).
    ///   - threads: workers over blocks of rows.
    public static func search(
        queries: UnsafeBufferPointer<Float>, queryCount: Int, k: Int,
        codes: borrowing Int8Rows, exact: borrowing Matrix<Float>, labels: ExactSearch.Labels,
        threads: Int, kernel: Int8Kernel = .best
    ) -> [Result] {
        let dims = codes.dims, stride = codes.stride, rows = codes.rows
        precondition(queries.count == queryCount * dims && exact.rows == rows && exact.columns == dims, "queries, codes and rows disagree")
        guard queryCount > 0, rows > 0, k > 0 else { return Array(repeating: Result(neighbors: [], reranked: 0), count: queryCount) }
        let encoded = (0..<queryCount).map { encode(UnsafeBufferPointer(rebasing: queries[$0 * dims..<($0 + 1) * dims]), stride: stride) }
        // The int8 scores of a tile of queries against every row, then one selection per query.
        // oneDNN's GEMM gains from tall tiles; the package's kernel works a block of rows at a time.
        let tile = min(queryCount, OneDNNGemm.shared != nil && kernel == .vnni ? 128 : 32)
        let largestErrorNorm = codes.largestErrorNorm
        var approximate = [Float](repeating: 0, count: tile * rows)
        var results: [Result] = []
        results.reserveCapacity(queryCount)
        for first in Swift.stride(from: 0, to: queryCount, by: tile) {
            let count = min(tile, queryCount - first)
            let packed = encoded[first..<first + count].flatMap(\.bytes)
            approximate.withUnsafeMutableBufferPointer { scores in
                score(
                    packed: packed, queries: Array(encoded[first..<first + count]), codes: codes, into: scores.baseAddress!,
                    threads: threads, kernel: kernel)
            }
            // One selection per query, the queries of the tile spread over the workers.
            var selected = [Result](repeating: Result(neighbors: [], reranked: 0), count: count)
            approximate.withUnsafeBufferPointer { scores in
                selected.withUnsafeMutableBufferPointer { slots in
                    nonisolated(unsafe) let slots = slots
                    ParallelBlocks.forEach(count: count, blockSize: 1, threads: threads) { _, range in
                        for query in range {
                            let unit = UnsafeBufferPointer(rebasing: queries[(first + query) * dims..<(first + query + 1) * dims])
                            slots[query] = select(
                                k: k, approximate: UnsafeBufferPointer(rebasing: scores[query * rows..<(query + 1) * rows]),
                                query: unit, encoded: encoded[first + query], codes: codes, largestErrorNorm: largestErrorNorm,
                                exact: exact, labels: labels)
                        }
                    }
                }
            }
            results += selected
        }
        return results
    }

    /// Fills `scores[q · rows + r]` with the int8 estimate of query q against row r, on `threads` workers.
    private static func score(
        packed: [UInt8], queries: [EncodedQuery], codes: borrowing Int8Rows, into scores: UnsafeMutablePointer<Float>,
        threads: Int, kernel: Int8Kernel
    ) {
        let rows = codes.rows, stride = codes.stride, m = queries.count
        if m > 1, kernel == .vnni, let oneDNN = OneDNNGemm.shared,
            score(packed: packed, queries: queries, codes: codes, into: scores, with: oneDNN, threads: threads)
        {
            return
        }
        let blockSize = m == 1 ? 4_096 : 256
        let scratch = WorkerScratch(workers: ParallelBlocks.workers(count: rows, blockSize: blockSize, threads: threads), floats: m * blockSize)
        defer { scratch.deallocate() }
        let rowCodes = copy codes
        nonisolated(unsafe) let output = scores
        codes.withCodes { allCodes in
            packed.withUnsafeBufferPointer { packedQueries in
                ParallelBlocks.forEach(count: rows, blockSize: blockSize, threads: threads) { worker, range in
                    scratch[worker].withMemoryRebound(to: Int32.self, capacity: m * blockSize) { raw in
                        kernel.dots(
                            rows: allCodes.baseAddress! + range.lowerBound * stride, count: range.count, stride: stride,
                            queries: packedQueries.baseAddress!, m: m, out: raw, ldo: range.count)
                        for query in 0..<m {
                            let scale = queries[query].scale
                            for (offset, row) in range.enumerated() {
                                output[query * rows + row] = rowCodes.estimate(raw[query * range.count + offset], row: row, queryScale: scale)
                            }
                        }
                    }
                }
            }
        }
    }

    /// As the other `score`, through oneDNN's int8 GEMM over every row at once; false when it failed.
    private static func score(
        packed: [UInt8], queries: [EncodedQuery], codes: borrowing Int8Rows, into scores: UnsafeMutablePointer<Float>,
        with oneDNN: OneDNNGemm, threads: Int
    ) -> Bool {
        let rows = codes.rows, stride = codes.stride, m = queries.count
        let done = scores.withMemoryRebound(to: Int32.self, capacity: m * rows) { raw in
            codes.withCodes { allCodes in
                packed.withUnsafeBufferPointer { packedQueries in
                    oneDNN.multiply(
                        m: m, n: rows, k: stride, a: packedQueries.baseAddress!, lda: stride,
                        b: allCodes.baseAddress!, ldb: stride, c: raw, ldc: rows)
                }
            }
        }
        guard done else { return false }
        // In place: each int32 becomes its float estimate, one query per block.
        let rowCodes = copy codes
        nonisolated(unsafe) let raw = UnsafeMutableRawPointer(scores)
        ParallelBlocks.forEach(count: m, blockSize: 1, threads: threads) { _, range in
            for query in range {
                rowCodes.convertSums(at: raw + query * rows * 4, rows: 0..<rows, queryScale: queries[query].scale)
            }
        }
        return true
    }

    /// The exact top k of one query from its int8 estimates.
    private static func select(
        k: Int, approximate: UnsafeBufferPointer<Float>, query: UnsafeBufferPointer<Float>, encoded: EncodedQuery,
        codes: borrowing Int8Rows, largestErrorNorm: Float, exact: borrowing Matrix<Float>, labels: ExactSearch.Labels
    ) -> Result {
        func label(_ row: Int) -> Int64? {
            switch labels {
            case .rowNumbers: Int64(row)
            case .ids(let ids, let skipped): ids[row] == skipped ? nil : ids[row]
            }
        }
        // 1. The rows with the best estimates.
        var shortlist = TopK(k: k + shortlistMargin)
        shortlist.offer(scores: approximate.baseAddress!, count: approximate.count) { label($0) == nil ? nil : Int64($0) }
        var chosen = Set(shortlist.sorted().map { Int($0.id) })
        var best = TopK(k: k)
        rescore(Array(chosen), query: query, exact: exact, into: &best, label: label)
        // 2. Every other row whose estimate plus its bound reaches the k-th exact score.
        let tau = best.threshold
        var more: [Int] = []
        let errorNorms = codes.errorNorms
        // Float rounding of the estimate (its product of three floats) is far below this margin.
        let slack: Float = 1e-5
        // The largest bound first (one comparison a row), each row's own bound for those that pass.
        let widest = encoded.codeNorm * largestErrorNorm + encoded.errorNorm + slack
        let scales = codes.scales
        codes.withCodes { allCodes in
            for row in approximate.indices where approximate[row] + widest >= tau {
                let bound = encoded.codeNorm * errorNorms[row] + encoded.errorNorm + slack
                guard approximate[row] + bound >= tau, !chosen.contains(row), label(row) != nil else { continue }
                // 3. A second estimate without the query's rounding: the float query against the
                // row's codes (in double precision), off by q·f only, at most the row's error norm.
                let refined = Double(scales[row]) * dot(query.baseAddress!, allCodes.baseAddress! + row * codes.stride, count: query.count)
                if Float(refined) + errorNorms[row] + slack >= tau { more.append(row) }
            }
        }
        rescore(more, query: query, exact: exact, into: &best, label: label)
        chosen.formUnion(more)
        return Result(neighbors: best.sorted(), reranked: chosen.count)
    }

    /// Offers the exact scores of `rows`: each a dot product of float32 values summed in double
    /// precision (every float product is exact in a double) and rounded once to float, so a row's
    /// score never depends on which other rows are re-ranked with it, and duplicates tie exactly.
    private static func rescore(
        _ rows: [Int], query: UnsafeBufferPointer<Float>, exact: borrowing Matrix<Float>, into best: inout TopK,
        label: (Int) -> Int64?
    ) {
        let dims = exact.columns
        exact.withUnsafeBufferPointer { all in
            for row in rows {
                guard let id = label(row) else { continue }
                best.offer(Neighbor(id: id, score: dot(all.baseAddress! + row * dims, query.baseAddress!, count: dims)))
            }
        }
    }

    /// ⟨query, codes⟩ in double precision (each product exact).
    static func dot(_ query: UnsafePointer<Float>, _ codes: UnsafePointer<Int8>, count: Int) -> Double {
        var lanes = SIMD8<Double>()
        var j = 0
        while j + 8 <= count {
            let x = UnsafeRawPointer(query + j).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(codes + j).loadUnaligned(as: SIMD8<Int8>.self)
            lanes += SIMD8<Double>(x) * SIMD8<Double>(SIMD8<Int32>(truncatingIfNeeded: y))
            j += 8
        }
        var sum = lanes.sum()
        while j < count {
            sum += Double(query[j]) * Double(codes[j])
            j += 1
        }
        return sum
    }

    /// ⟨a, b⟩ summed in double precision in a fixed order, rounded to float: the exact score
    /// every re-rank uses, so a row's score is the same whichever search found it.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Double>()
        var j = 0
        while j + 8 <= count {
            let x = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
            lanes += SIMD8<Double>(x) * SIMD8<Double>(y)
            j += 8
        }
        var sum = lanes.sum()
        while j < count {
            sum += Double(a[j]) * Double(b[j])
            j += 1
        }
        return Float(sum)
    }
}

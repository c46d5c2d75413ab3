import Testing
import VectorMath

@Suite("Exact search against a double-precision brute force")
struct ExactSearchTests {
    let backend: BLASBackend

    init() throws { backend = try BLASBackend.shared() }

    struct Shape: Sendable, CustomTestStringConvertible {
        var rows: Int, dims: Int, clusters: Int, k: Int, threads: Int, rowBlock: Int
        var testDescription: String { "\(rows)×\(dims) c\(clusters) k\(k) t\(threads) b\(rowBlock)" }
    }

    static let shapes = [
        Shape(rows: 1, dims: 8, clusters: 0, k: 1, threads: 1, rowBlock: 64),
        Shape(rows: 500, dims: 64, clusters: 0, k: 10, threads: 2, rowBlock: 64),
        Shape(rows: 1000, dims: 33, clusters: 5, k: 25, threads: 3, rowBlock: 100),
        Shape(rows: 3000, dims: 128, clusters: 20, k: 10, threads: 2, rowBlock: 2048),
        Shape(rows: 257, dims: 1536, clusters: 4, k: 257, threads: 2, rowBlock: 50),
    ]

    @Test(arguments: shapes)
    func singleAndBatchedQueriesMatchTheOracle(shape: Shape) throws {
        let generator = SyntheticVectors(dims: shape.dims, clusters: shape.clusters, seed: 7)
        let base = generator.generate(count: shape.rows)
        let queries = generator.generate(count: 37, stream: 1)
        let rows = base.rowArrays
        let parameters = ExactSearch.Parameters(
            k: shape.k, threads: shape.threads, queryBlock: 16,
            rowBlock: shape.rowBlock, singleQueryRowBlock: shape.rowBlock)
        let batched = try queries.withUnsafeBufferPointer {
            try ExactSearch.search(queries: $0, in: base, parameters: parameters, backend: backend)
        }
        #expect(batched.count == queries.rows)
        for q in 0..<queries.rows {
            let expected = NaiveSearch.topK(query: queries.row(q), rows: rows, k: shape.k)
            let single = try queries.row(q).withUnsafeBufferPointer {
                try ExactSearch.search(queries: $0, in: base, parameters: parameters, backend: backend)[0]
            }
            #expect(NaiveSearch.matches(single, expected), "query \(q) single")
            #expect(NaiveSearch.matches(batched[q], expected), "query \(q) batched")
        }
    }

    @Test func tiesGoToTheSmallerRowWhateverTheBlocking() throws {
        // Eight copies of one vector among others: all score the same.
        var base = SyntheticVectors(dims: 16, seed: 3).generate(count: 40)
        let copy = base.row(5)
        for r in [2, 9, 17, 18, 25, 31, 38] { base.replaceRow(r, with: copy) }
        for rowBlock in [1, 3, 7, 64] {
            for threads in [1, 2, 4] {
                let parameters = ExactSearch.Parameters(k: 6, threads: threads, queryBlock: 2, rowBlock: rowBlock, singleQueryRowBlock: rowBlock)
                let twoQueries = copy + copy
                let hits = try twoQueries.withUnsafeBufferPointer {
                    try ExactSearch.search(queries: $0, in: base, parameters: parameters, backend: backend)
                }
                for result in hits {
                    #expect(result.map(\.id) == [2, 5, 9, 17, 18, 25], "row block \(rowBlock), threads \(threads)")
                }
            }
        }
    }

    @Test func candidateRowsAreTheOnlyOnesScanned() throws {
        let base = SyntheticVectors(dims: 48, clusters: 3, seed: 11).generate(count: 800)
        let candidates = stride(from: 3, to: 800, by: 7).map { $0 }
        let query = SyntheticVectors(dims: 48, clusters: 3, seed: 11).generate(count: 3, stream: 5)
        let expectedRows = candidates.map { base.row($0) }
        for k in [1, 10, candidates.count, candidates.count + 50] {
            let parameters = ExactSearch.Parameters(k: k, threads: 2, queryBlock: 2, rowBlock: 32, singleQueryRowBlock: 32)
            let results = try query.withUnsafeBufferPointer {
                try ExactSearch.search(queries: $0, in: base, rows: .candidates(candidates), parameters: parameters, backend: backend)
            }
            for q in 0..<query.rows {
                let expected = NaiveSearch.topK(query: query.row(q), rows: expectedRows, ids: candidates.map(Int64.init), k: k)
                #expect(results[q].count == min(k, candidates.count))
                #expect(NaiveSearch.matches(results[q], expected), "k \(k), query \(q)")
            }
        }
    }

    @Test func labelsReplaceRowNumbersAndSkipDeletedRows() throws {
        let base = SyntheticVectors(dims: 24, seed: 5).generate(count: 300)
        var ids = (0..<300).map { Int64(1000 - $0 * 3) }
        for r in stride(from: 0, to: 300, by: 4) { ids[r] = .min }
        let query = base.row(8)  // a deleted row: must not come back.
        let live = (0..<300).filter { ids[$0] != .min }
        let expected = NaiveSearch.topK(query: query, rows: live.map { base.row($0) }, ids: live.map { ids[$0] }, k: 12)
        let parameters = ExactSearch.Parameters(k: 12, threads: 2, rowBlock: 40, singleQueryRowBlock: 40)
        let got = try ids.withUnsafeBufferPointer { idBuffer in
            try query.withUnsafeBufferPointer {
                try ExactSearch.search(queries: $0, in: base, labels: .ids(idBuffer, skipped: .min), parameters: parameters, backend: backend)[0]
            }
        }
        #expect(NaiveSearch.matches(got, expected))
        #expect(!got.contains { $0.id == .min })
    }

    // Dimensions with and without a partial 32- and 16-column tail; 703 rows leave
    // a partial group of four.
    @Test(arguments: [1, 2], [1536, 100, 40, 7])
    func float16SearchMatchesTheOracleOnRoundedData(threads: Int, dims: Int) throws {
        let base32 = SyntheticVectors(dims: dims, clusters: 8, seed: 9).generate(count: 703)
        let base16 = base32.toHalf()
        let rounded = (0..<base16.rows).map { base16.row($0).map(Float.init) }
        let queries = SyntheticVectors(dims: dims, clusters: 8, seed: 9).generate(count: 5, stream: 2)
        let parameters = ExactSearch.Parameters(k: 10, threads: threads, queryBlock: 3, rowBlock: 128, singleQueryRowBlock: 100)
        let batched = try queries.withUnsafeBufferPointer { try ExactSearch.search(queries: $0, in: base16, parameters: parameters, backend: backend) }
        for q in 0..<queries.rows {
            let expected = NaiveSearch.topK(query: queries.row(q), rows: rounded, k: 10)
            let single = try queries.row(q).withUnsafeBufferPointer {
                try ExactSearch.search(queries: $0, in: base16, parameters: parameters, backend: backend)[0]
            }
            #expect(NaiveSearch.matches(single, expected, tolerance: 1e-5))
            #expect(NaiveSearch.matches(batched[q], expected, tolerance: 1e-5))
        }
    }

    @Test("rows outside the matrix, out of order, and too few labels are refused before any read")
    func craftedRowsAndLabels() throws {
        let base = SyntheticVectors(dims: 8, seed: 1).generate(count: 20)
        let query = base.row(0)
        let parameters = ExactSearch.Parameters(k: 3, threads: 1)
        for candidates in [[1, 2, 20], [5, 3], [-1, 2], [4, 4]] {
            let error = #expect(throws: VectorMathError.self) {
                try query.withUnsafeBufferPointer {
                    try ExactSearch.search(queries: $0, in: base, rows: .candidates(candidates), parameters: parameters, backend: backend)
                }
            }
            #expect(error?.code == .invalidArgument)
        }
        let shortLabels: [Int64] = [1, 2, 3]
        let error = #expect(throws: VectorMathError.self) {
            try shortLabels.withUnsafeBufferPointer { ids in
                try query.withUnsafeBufferPointer {
                    try ExactSearch.search(queries: $0, in: base, labels: .ids(ids, skipped: .min), parameters: parameters, backend: backend)
                }
            }
        }
        #expect(error?.code == .invalidArgument)
    }
}

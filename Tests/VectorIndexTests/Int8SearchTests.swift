import Foundation
import Testing
import VectorIndex

@testable import VectorMath

@Suite("int8 storage: int8 scores, exact float32 re-rank")
struct Int8SearchTests {
    /// Unit rows that are hard for int8: near-ties a little above float32 rounding but far
    /// below the int8 step, rows with a few large coordinates, and duplicates.
    static func adversarial(dims: Int = 192, seed: UInt64 = 9) -> Matrix<Float> {
        var rows = SyntheticVectors(dims: dims, clusters: 8, seed: seed).generate(count: 1_200)
        var generator = SplitMix64(seed: seed)
        let anchor = rows.row(0)
        // Near-ties: the anchor nudged along random directions by 1e-4 … 1e-3 of its length.
        for step in 0..<200 {
            let size = Float(1e-4) * Float(1 + step % 10)
            rows.append(row: anchor.map { $0 + size * (Float(generator.next() % 2_001) / 1_000 - 1) })
        }
        // A few large coordinates on top of small noise.
        for _ in 0..<200 {
            var spiky = (0..<dims).map { _ in Float(generator.next() % 2_001) / 200_000 - 0.005 }
            for _ in 0..<3 { spiky[Int(generator.next() % UInt64(dims))] = Float(generator.next() % 2_001) / 1_000 - 1 }
            rows.append(row: spiky)
        }
        // Duplicates.
        for row in 0..<100 { rows.append(row: rows.row(row * 7)) }
        return rows
    }

    static func index(_ rows: Matrix<Float>, storage: VectorIndex.Storage) throws -> VectorIndex {
        var index = try VectorIndex(dims: rows.columns, configuration: .init(storage: storage))
        try index.upsert(ids: (0..<Int64(rows.rows)).map { $0 * 3 + 1 }, vectors: rows)
        return index
    }

    /// The top k over the index's stored unit rows by scores summed in double precision and
    /// rounded once to float, ties by id: the order a float32 scan gives wherever two scores
    /// differ by more than its rounding (~1e-6).
    static func oracle(_ index: VectorIndex, query: [Float], k: Int) throws -> [Neighbor] {
        let unit = try UnitVector.normalized(query)
        return try index.allIDs.map { id -> Neighbor in
            let dot = zip(try index.vector(for: id), unit).reduce(Double(0)) { $0 + Double($1.0) * Double($1.1) }
            return Neighbor(id: id, score: Float(dot))
        }.sorted { $0.ranks(before: $1) }.prefix(k).map { $0 }
    }

    @Test("single and batched int8 searches return the exact top k on adversarial rows", arguments: [1, 10, 50])
    func exactOnAdversarialRows(k: Int) throws {
        let rows = Self.adversarial()
        let float32 = try Self.index(rows, storage: .float32), int8 = try Self.index(rows, storage: .int8)
        // Queries: stored rows (the near-ties' anchor among them), and new random ones.
        var queries = Matrix<Float>(columns: rows.columns)
        for row in Swift.stride(from: 0, to: rows.rows, by: 23) { queries.append(row: rows.row(row)) }
        let fresh = SyntheticVectors(dims: rows.columns, clusters: 0, seed: 77).generate(count: 20)
        for row in 0..<fresh.rows { queries.append(row: fresh.row(row)) }
        let batched = try int8.search(batch: queries, k: k)
        for query in 0..<queries.rows {
            let expected = try Self.oracle(int8, query: queries.row(query), k: k)
            let found = try int8.search(vector: queries.row(query), k: k)
            #expect(found.map(\.id) == expected.map(\.id), "query \(query)")
            #expect(batched[query].map(\.id) == expected.map(\.id), "batched query \(query)")
            // The float32 scan agrees wherever its rounding can tell the scores apart.
            let scanned = try float32.search(vector: queries.row(query), k: k)
            for (position, hit) in scanned.enumerated() { #expect(abs(hit.score - expected[position].score) <= 2e-6) }
        }
    }

    @Test("deletes, replacements and compaction keep the int8 codes in step with the rows")
    func mutations() throws {
        let rows = Self.adversarial(dims: 64, seed: 3)
        var float32 = try Self.index(rows, storage: .float32), int8 = try Self.index(rows, storage: .int8)
        for id in Swift.stride(from: Int64(1), to: 900, by: 6) {
            try float32.remove(id: id)
            try int8.remove(id: id)
        }
        let replacement = SyntheticVectors(dims: 64, clusters: 0, seed: 5).generate(count: 1).row(0)
        try float32.upsert(id: 4, vector: replacement)
        try int8.upsert(id: 4, vector: replacement)
        for index in [false, true] {
            if index {
                float32.compact()
                int8.compact()
            }
            for query in Swift.stride(from: 0, to: rows.rows, by: 41) {
                let found = try int8.search(vector: rows.row(query), k: 12), scanned = try float32.search(vector: rows.row(query), k: 12)
                #expect(
                    Set(found.map(\.id)).symmetricDifference(scanned.map(\.id)).allSatisfy { id in
                        // Only rows at the k-th score, within float32 rounding, may differ.
                        abs((found + scanned).first { $0.id == id }!.score - scanned[11].score) <= 2e-6
                    })
            }
            #expect(try int8.search(vector: replacement, k: 1).first?.id == 4)
        }
    }

    @Test("every kernel this CPU runs gives the portable kernel's sums, for any query byte and row code")
    func kernelsAgree() {
        var generator = SplitMix64(seed: 11)
        // 4,160 bytes a row: past the 128 steps after which the AVX2 kernel folds its row sums into int32;
        // one query (the GEMV), and 4 + 3 queries over rows that are not a multiple of 4 (the GEMM's tiles and the rest).
        for (stride, rows, queries) in [(192, 37, 6), (4_160, 9, 5), (384, 13, 1), (384, 10, 7), (64, 3, 4)] {
            var codes = (0..<rows * stride).map { _ in Int8(truncatingIfNeeded: generator.next() % 255) &- 127 }
            var bytes = (0..<queries * stride).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // The extremes, where a saturating multiply-add would show: every code ±127 against query bytes 0 and 255.
            for j in 0..<stride {
                codes[j] = j % 2 == 0 ? 127 : -127
                codes[stride + j] = -127
                bytes[j] = j % 2 == 0 ? 255 : 0
                if queries > 1 { bytes[stride + j] = 0 }
            }
            let sums = Int8Kernel.available.map { kernel in
                var out = [Int32](repeating: 0, count: queries * rows)
                codes.withUnsafeBufferPointer { c in
                    bytes.withUnsafeBufferPointer { q in
                        kernel.dots(rows: c.baseAddress!, count: rows, stride: stride, queries: q.baseAddress!, m: queries, out: &out, ldo: rows)
                    }
                }
                return out
            }
            for (kernel, found) in zip(Int8Kernel.available, sums) {
                #expect(found == sums.last!, "\(kernel.rawValue), stride \(stride)")
            }
        }
    }

    @Test("the portable path finds the same ids as the default one")
    func portableSearch() throws {
        let rows = Self.adversarial(dims: 96, seed: 4)
        let codes = Int8Rows(rows)
        let queries = (0..<10).flatMap { rows.row($0 * 97) }
        let found = queries.withUnsafeBufferPointer { buffer in
            [Int8Kernel.portable, .best].map { kernel in
                Int8Search.search(
                    queries: buffer, queryCount: 10, k: 10, codes: codes, exact: rows, labels: .rowNumbers,
                    threads: 2, kernel: kernel
                ).map { $0.neighbors.map(\.id) }
            }
        }
        #expect(found[0] == found[1])
    }

    @Test("a row's codes times its scale are within its stored error norm of the row")
    func quantisationBound() {
        let rows = Self.adversarial(dims: 48, seed: 8)
        let codes = Int8Rows(rows)
        for row in 0..<rows.rows {
            let values = rows.row(row)
            let error = (0..<48).reduce(Double(0)) { total, j in
                let lost = Double(values[j]) - Double(codes.scales[row]) * Double(codes.codes[row * codes.stride + j])
                return total + lost * lost
            }.squareRoot()
            #expect(error <= Double(codes.errorNorms[row]))
            #expect(codes.sums[row] == (0..<48).reduce(Int32(0)) { $0 + Int32(codes.codes[row * codes.stride + $1]) })
        }
    }

    @Test("codes are value / scale rounded half away from zero, exact halves included")
    func roundingHalfAwayFromZero() {
        // Largest coordinate 127: the scale is 1, so every k + ½ below is an exact tie.
        let ties: [Float] = [127, -126.5, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 3.4999998, -3.5000002]
        var generator = SplitMix64(seed: 3)
        let noise = (0..<500).map { _ in Float(Double(generator.next() % 2_000_001) / 1_000_000 - 1) * 0.7 }
        for values in [ties, [1] + noise] {
            let codes = Int8Rows(Matrix(columns: values.count, values: values))
            let scale = codes.scales[0]
            for (j, value) in values.enumerated() {
                #expect(codes.codes[j] == Int8(max(-127, min(127, (value / scale).rounded()))), "value \(value)")
            }
        }
    }
}

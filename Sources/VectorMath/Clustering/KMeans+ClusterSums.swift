extension KMeans {
    /// The points of each cluster summed, with counts and objective terms, kept per
    /// chunk of rows and added up in chunk order: the sums are the same bits whatever
    /// the thread count and however the assignments were found (a GEMM for every
    /// point, or Elkan's bounds for most of them).
    final class ClusterSums {
        /// Rows per chunk: every pass splits the rows the same way.
        let chunkRows: Int
        let k: Int
        let dims: Int
        private let chunks: Int
        private let sums: UnsafeMutablePointer<Float>
        private let counts: UnsafeMutablePointer<Int>
        private let squares: UnsafeMutablePointer<Double>
        private let similarities: UnsafeMutablePointer<Double>

        init(rows: Int, dims: Int, k: Int, rowBlock: Int) {
            chunkRows = rowBlock * 4
            self.k = k
            self.dims = dims
            chunks = (rows + chunkRows - 1) / chunkRows
            sums = .allocate(capacity: chunks * k * dims)
            sums.initialize(repeating: 0, count: chunks * k * dims)
            counts = .allocate(capacity: chunks * k)
            counts.initialize(repeating: 0, count: chunks * k)
            squares = .allocate(capacity: chunks)
            squares.initialize(repeating: 0, count: chunks)
            similarities = .allocate(capacity: chunks)
            similarities.initialize(repeating: 0, count: chunks)
        }

        deinit {
            sums.deallocate()
            counts.deallocate()
            squares.deallocate()
            similarities.deallocate()
        }

        /// Adds `rows`, given each row's cluster and its dot with that centroid. A
        /// chunk's rows are added in ascending order by one worker (whole, or in
        /// consecutive slices: the same bits); workers may add different chunks at once.
        func add(
            rows: Range<Int>, points: UnsafePointer<Float>, squaredNorms: [Float], centroidNorms: [Float],
            assignments: UnsafePointer<Int32>, dots: UnsafePointer<Float>
        ) {
            let chunk = rows.lowerBound / chunkRows
            precondition(rows.isEmpty || (rows.upperBound - 1) / chunkRows == chunk, "rows span two chunks")
            let chunkSums = sums + chunk * k * dims, chunkCounts = counts + chunk * k
            var squares = self.squares[chunk], similarity = similarities[chunk]
            for row in rows {
                let best = Int(assignments[row]), dot = dots[row]
                squares += Double(max(0, squaredNorms[row] - 2 * dot + centroidNorms[best]))
                similarity += Double(dot / max((squaredNorms[row] * centroidNorms[best]).squareRoot(), .leastNormalMagnitude))
                chunkCounts[best] += 1
                let source = points + row * dims, target = chunkSums + best * dims
                for j in 0..<dims { target[j] += source[j] }
            }
            self.squares[chunk] = squares
            similarities[chunk] = similarity
        }

        /// The pass: the chunks' sums added in order.
        func pass(assignments: [Int32], dots: [Float], distancesComputed: Int) -> Pass {
            var total = [Float](repeating: 0, count: k * dims)
            var totalCounts = [Int](repeating: 0, count: k)
            for chunk in 0..<chunks {
                for i in 0..<(k * dims) { total[i] += sums[chunk * k * dims + i] }
                for j in 0..<k { totalCounts[j] += counts[chunk * k + j] }
            }
            return Pass(
                assignments: assignments, dots: dots, sums: total, counts: totalCounts,
                sumOfSquares: (0..<chunks).reduce(0) { $0 + squares[$1] },
                similaritySum: (0..<chunks).reduce(0) { $0 + similarities[$1] },
                distancesComputed: distancesComputed)
        }
    }
}

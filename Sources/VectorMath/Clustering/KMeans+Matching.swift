extension KMeans {
    /// Renumbers the clusters of `result` so that each takes the id of the previous
    /// centroid it is most similar to, maximising the total cosine similarity of the
    /// pairs (Hungarian assignment). Clusters beyond the previous count keep the
    /// remaining ids in order.
    ///
    /// Use it after a rebuild, so that cohort ids stay stable when the data barely change.
    ///
    /// - Parameter previous: the previous run's centroids, k′ × d.
    /// - Returns: the result with centroids, counts and assignments renumbered.
    /// - Complexity: O(max(k, k′)³) plus one k × k′ GEMM.
    public static func matched(_ result: Result, toPrevious previous: Matrix<Float>, backend: BLASBackend) -> Result {
        let centroids = result.centroids
        precondition(previous.columns == centroids.columns, "previous centroids have another dimension")
        let k = centroids.rows, old = previous.rows, size = max(k, old)
        var similarity = [Float](repeating: 0, count: k * old)
        centroids.withUnsafeBufferPointer { c in
            previous.withUnsafeBufferPointer { p in
                backend.multiplyTransposed(
                    m: k, n: old, k: centroids.columns, a: c.baseAddress!, lda: centroids.columns,
                    b: p.baseAddress!, ldb: previous.columns, c: &similarity, ldc: old)
            }
        }
        let newNorms = centroids.squaredRowNorms().map { $0.squareRoot() }
        let oldNorms = previous.squaredRowNorms().map { $0.squareRoot() }
        // Cost of giving new cluster i the id j; padding rows/columns cost 0.
        var cost = [Double](repeating: 0, count: size * size)
        for i in 0..<k {
            for j in 0..<old {
                cost[i * size + j] = -Double(similarity[i * old + j]) / Double(max(newNorms[i] * oldNorms[j], .leastNormalMagnitude))
            }
        }
        let columnOfRow = hungarian(cost: cost, size: size)
        // Ids past the previous count go to unmatched new clusters, in their order.
        var newID = [Int](repeating: 0, count: k)
        var spare = old
        for i in 0..<k {
            if columnOfRow[i] < old {
                newID[i] = columnOfRow[i]
            } else {
                newID[i] = spare
                spare += 1
            }
        }
        // Ids must be 0..<k: squeeze the ids of previous clusters that vanished.
        let order = (0..<k).sorted { newID[$0] < newID[$1] }
        var finalID = [Int](repeating: 0, count: k)
        for (rank, i) in order.enumerated() { finalID[i] = rank }

        var renumbered = result
        var rows = [[Float]](repeating: [], count: k)
        for i in 0..<k { rows[finalID[i]] = centroids.row(i) }
        renumbered.centroids = Matrix(columns: centroids.columns, values: rows.flatMap { $0 })
        renumbered.counts = (0..<k).map { result.counts[order[$0]] }
        renumbered.assignments = result.assignments.map { Int32(finalID[Int($0)]) }
        return renumbered
    }

    /// The share of points whose cluster differs between two assignments of the same points.
    public static func churn(previous: [Int32], current: [Int32]) -> Double {
        precondition(previous.count == current.count, "assignments of different point sets")
        guard !current.isEmpty else { return 0 }
        return Double(zip(previous, current).filter { $0 != $1 }.count) / Double(current.count)
    }

    /// Minimum-cost perfect assignment on a square `size × size` cost matrix
    /// (row-major), by the Hungarian method with potentials (Kuhn–Munkres, in the
    /// O(n³) form of Jonker and Volgenant).
    ///
    /// - Returns: the column assigned to each row.
    static func hungarian(cost: [Double], size n: Int) -> [Int] {
        precondition(cost.count == n * n)
        guard n > 0 else { return [] }
        // 1-based arrays; column 0 is a virtual start.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
        var rowOfColumn = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
        for row in 1...n {
            rowOfColumn[0] = row
            var column = 0
            var minimum = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[column] = true
                let r = rowOfColumn[column]
                var delta = Double.infinity, next = 0
                for j in 1...n where !used[j] {
                    let reduced = cost[(r - 1) * n + (j - 1)] - u[r] - v[j]
                    if reduced < minimum[j] {
                        minimum[j] = reduced
                        way[j] = column
                    }
                    if minimum[j] < delta {
                        delta = minimum[j]
                        next = j
                    }
                }
                for j in 0...n {
                    if used[j] {
                        u[rowOfColumn[j]] += delta
                        v[j] -= delta
                    } else {
                        minimum[j] -= delta
                    }
                }
                column = next
            } while rowOfColumn[column] != 0
            repeat {
                let previous = way[column]
                rowOfColumn[column] = rowOfColumn[previous]
                column = previous
            } while column != 0
        }
        var columnOfRow = [Int](repeating: 0, count: n)
        for j in 1..<(n + 1) where rowOfColumn[j] > 0 { columnOfRow[rowOfColumn[j] - 1] = j - 1 }
        return columnOfRow
    }
}

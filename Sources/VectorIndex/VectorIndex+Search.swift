public import VectorMath

extension VectorIndex {
    /// The `k` stored vectors most similar (cosine) to `vector`, best first; ties go
    /// to the smaller id.
    ///
    /// With a filter, only the qualifying ids are scanned (filter first, then an
    /// exact scan of the candidates), and the answer has `min(k, candidates)` hits.
    ///
    /// - Throws: ``VectorIndexError/Code/emptyIndex``, ``VectorIndexError/Code/invalidK``
    ///   (k ≤ 0, or k > count without a filter), ``VectorIndexError/Code/dimensionMismatch``,
    ///   ``VectorIndexError/Code/invalidVector``.
    /// - Complexity: O(count × d) without a filter; O(candidates × d) plus the filter's cost with one.
    public func search(vector: [Float], k: Int, filter: Filter? = nil) throws(VectorIndexError) -> [Neighbor] {
        let query = try validated(vector, id: 0)
        return try search(queries: query, queryCount: 1, k: k, filter: filter, excluding: nil)[0]
    }

    /// The `k` vectors most similar to the stored vector of `id`, excluding `id` itself.
    ///
    /// - Throws: as ``search(vector:k:filter:)``, plus ``VectorIndexError/Code/unknownID``;
    ///   without a filter k must be < count.
    public func search(id: Int64, k: Int, filter: Filter? = nil) throws(VectorIndexError) -> [Neighbor] {
        let query = try vector(for: id)
        return try search(queries: query, queryCount: 1, k: k, filter: filter, excluding: id)[0]
    }

    /// The top `k` for each row of `queries` (`q × dims`), one GEMM per tile.
    ///
    /// - Throws: as ``search(vector:k:filter:)``; a bad query row names its row number.
    public func search(batch queries: Matrix<Float>, k: Int, filter: Filter? = nil) throws(VectorIndexError) -> [[Neighbor]] {
        guard queries.columns == dims else {
            throw VectorIndexError(.dimensionMismatch, "queries have dimension \(queries.columns), the index \(dims)")
        }
        var units = queries
        do {
            try units.normalizeRows()
        } catch {
            throw VectorIndexError(.invalidVector, "query \(error.message)", underlying: error)
        }
        return try units.withUnsafeBufferPointer { (buffer) throws(VectorIndexError) in
            try search(queries: Array(buffer), queryCount: units.rows, k: k, filter: filter, excluding: nil)
        }
    }

    private func search(queries: [Float], queryCount: Int, k: Int, filter: Filter?, excluding excluded: Int64?) throws(VectorIndexError) -> [[Neighbor]] {
        guard !isEmpty else { throw VectorIndexError(.emptyIndex, "the index is empty") }
        guard k > 0 else { throw VectorIndexError(.invalidK, "k must be positive, got \(k)") }
        let available = count - (excluded == nil ? 0 : 1)
        if filter == nil, k > available {
            throw VectorIndexError(.invalidK, "k = \(k) but only \(available) vectors can be returned")
        }
        guard queryCount > 0 else { return [] }
        let rows = filter.map { ExactSearch.Rows.candidates(candidateRows($0)) } ?? .all
        var parameters = configuration.search
        // One more, so that the query's own row can be dropped.
        parameters.k = k + (excluded == nil ? 0 : 1)
        if int8 != nil, filter == nil {
            // Exact through the int8 codes: every row scored in int8, the candidates re-ranked in float32.
            let results = int8Search(queries: queries, queryCount: queryCount, k: parameters.k).map(\.neighbors)
            guard let excluded else { return results }
            return results.map { hits in Array(hits.filter { $0.id != excluded }.prefix(k)) }
        }
        let outcome: Result<[[Neighbor]], VectorMathError> = queries.withUnsafeBufferPointer { queryBuffer in
            ids.withUnsafeBufferPointer { idBuffer in
                let labels = ExactSearch.Labels.ids(idBuffer, skipped: Self.tombstone)
                return Result { () throws(VectorMathError) in
                    if let float32 {
                        return try ExactSearch.search(queries: queryBuffer, in: float32, rows: rows, labels: labels, parameters: parameters, backend: backend)
                    }
                    return try ExactSearch.search(queries: queryBuffer, in: float16!, rows: rows, labels: labels, parameters: parameters, backend: backend)
                }
            }
        }
        let results: [[Neighbor]]
        do { results = try outcome.get() } catch {
            // The index builds its own rows and labels: this is a broken invariant, reported, not trapped.
            throw VectorIndexError(.corruptSnapshot, "the index's rows and ids disagree: \(error.message)", underlying: error)
        }
        guard let excluded else { return results }
        return results.map { hits in Array(hits.filter { $0.id != excluded }.prefix(k)) }
    }

    /// As ``search(batch:k:filter:)`` without a filter on int8 storage, with the number of rows each
    /// query re-ranked in float32.
    ///
    /// - Throws: as ``search(batch:k:filter:)``; ``VectorIndexError/Code/invalidK`` when the storage is not int8.
    public func searchReportingReranks(batch queries: Matrix<Float>, k: Int) throws(VectorIndexError) -> [Int8Search.Result] {
        guard int8 != nil else { throw VectorIndexError(.invalidK, "re-rank counts exist for int8 storage only") }
        guard queries.columns == dims else {
            throw VectorIndexError(.dimensionMismatch, "queries have dimension \(queries.columns), the index \(dims)")
        }
        guard !isEmpty else { throw VectorIndexError(.emptyIndex, "the index is empty") }
        guard k > 0, k <= count else { throw VectorIndexError(.invalidK, "k must be in 1...\(count), got \(k)") }
        var units = queries
        do { try units.normalizeRows() } catch { throw VectorIndexError(.invalidVector, "query \(error.message)", underlying: error) }
        return units.withUnsafeBufferPointer { int8Search(queries: Array($0), queryCount: units.rows, k: k) }
    }

    private func int8Search(queries: [Float], queryCount: Int, k: Int) -> [Int8Search.Result] {
        queries.withUnsafeBufferPointer { queryBuffer in
            ids.withUnsafeBufferPointer { idBuffer in
                Int8Search.search(
                    queries: queryBuffer, queryCount: queryCount, k: k, codes: int8!, exact: float32!,
                    labels: .ids(idBuffer, skipped: Self.tombstone), threads: configuration.search.threads)
            }
        }
    }

    /// Live rows that pass `filter`, ascending.
    private func candidateRows(_ filter: Filter) -> [Int] {
        switch filter {
        case .allowList(let allowed):
            return allowed.compactMap { rowOfID[$0] }.sorted()
        case .predicate(let accepts):
            return ids.indices.filter { ids[$0] != Self.tombstone && accepts(ids[$0]) }
        }
    }
}

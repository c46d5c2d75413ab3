import VectorMath

/// The oracle: double-precision brute force, higher score first, ties to the smaller id.
enum NaiveSearch {
    static func topK(query: [Float], rows: [[Float]], ids: [Int64]? = nil, k: Int) -> [Neighbor] {
        let scored = rows.enumerated().map { (r, row) -> (id: Int64, score: Double) in
            (ids?[r] ?? Int64(r), zip(query, row).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
        }
        return
            scored
            .sorted { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
            .prefix(k)
            .map { Neighbor(id: $0.id, score: Float($0.score)) }
    }

    /// Whether `got` is the oracle's answer: same ids in the same order, scores
    /// within `tolerance`; where two oracle scores are closer than the tolerance
    /// either order is accepted.
    static func matches(_ got: [Neighbor], _ expected: [Neighbor], tolerance: Float = 1e-5) -> Bool {
        guard got.count == expected.count else { return false }
        for (i, (g, e)) in zip(got, expected).enumerated() {
            guard abs(g.score - e.score) <= tolerance else { return false }
            if g.id != e.id {
                let ambiguous = expected.indices.contains { j in j != i && abs(expected[j].score - e.score) <= tolerance && expected[j].id == g.id }
                guard ambiguous else { return false }
            }
        }
        return true
    }
}

extension Matrix where Element == Float {
    var rowArrays: [[Float]] { (0..<rows).map { row($0) } }
}

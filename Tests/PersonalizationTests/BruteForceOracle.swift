import ProfileStore
import VectorMath

/// The naive oracle of the engine's searches: every stored vector scored against the query in
/// a plain loop, in double precision, from the raw rows the store holds (not the engine's index).
struct BruteForceOracle {
    let ids: [Int64]
    let unitRows: [[Double]]

    init(_ stored: EmbeddingChanges) {
        ids = stored.userIDs
        unitRows = (0..<stored.userIDs.count).map { row in
            let values = stored.vectors.row(row).map(Double.init)
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return values.map { $0 / norm }
        }
    }

    /// The `k` creators nearest to `userID`'s stored vector, leaving the creator out, best first.
    func nearest(toUser userID: Int64, k: Int) -> [(id: Int64, score: Double)] {
        let row = ids.firstIndex(of: userID)!
        let query = unitRows[row]
        let scored = ids.indices.filter { $0 != row }.map { other in
            (id: ids[other], score: zip(unitRows[other], query).reduce(0) { $0 + $1.0 * $1.1 })
        }
        return Array(scored.sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(k))
    }

    /// What is wrong with `found` as the top `k` for `userID`: a wrong count, a score off the
    /// oracle's, or a creator that is not among the true top k (a swap of two creators whose
    /// scores tie within float32 rounding is no fault). Empty when it is right.
    func problems(_ found: [Neighbor], forUser userID: Int64, k: Int, tolerance: Double = 2e-6) -> [String] {
        let expected = nearest(toUser: userID, k: k)
        guard found.count == expected.count else { return ["creator \(userID): \(found.count) results, the oracle has \(expected.count)"] }
        var problems: [String] = []
        let row = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let query = unitRows[row[userID]!]
        let threshold = expected.last!.score - tolerance
        for (position, hit) in found.enumerated() {
            guard let hitRow = row[hit.id], hit.id != userID else {
                problems.append("creator \(userID): \(hit.id) is not a stored creator, or the creator itself")
                continue
            }
            let trueScore = zip(unitRows[hitRow], query).reduce(0) { $0 + $1.0 * $1.1 }
            if abs(Double(hit.score) - trueScore) > 1e-4 { problems.append("creator \(userID): \(hit.id) scored \(hit.score), truly \(trueScore)") }
            if trueScore < threshold {
                problems.append("creator \(userID): \(hit.id) (\(trueScore)) is not in the true top \(k) (k-th \(expected.last!.score))")
            }
            if abs(trueScore - expected[position].score) > tolerance {
                problems.append("creator \(userID): position \(position) is \(trueScore), the oracle's \(expected[position].score)")
            }
        }
        if Set(found.map(\.id)).count != found.count { problems.append("creator \(userID): a creator appears twice") }
        return problems
    }
}

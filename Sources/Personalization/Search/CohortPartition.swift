internal import VectorMath

/// The creators' vectors grouped by cohort ("IVF" over a cohort run): each cohort's
/// members are contiguous rows of a matrix of their own, so scanning a cohort is one GEMV.
///
/// A search scores the query against the k centroids, then scans the `nprobe` nearest
/// cohorts only. Creators written after the run joined the cohort of their nearest centroid.
struct CohortPartition: Sendable {
    /// One cohort's members: `ids[i]` owns row `i` of `vectors` (unit length).
    struct Members: Sendable {
        var ids: [Int64] = []
        var vectors: Matrix<Float>
    }

    /// The run's centroids, k × d, unit length.
    let centroids: Matrix<Float>
    private(set) var cohorts: [Members]
    /// Where each creator is: cohort and row.
    private var location: [Int64: (cohort: Int32, row: Int32)] = [:]

    /// An empty partition around `centroids`.
    init(centroids: Matrix<Float>) {
        self.centroids = centroids
        cohorts = (0..<centroids.rows).map { _ in Members(vectors: Matrix(columns: centroids.columns)) }
    }

    var k: Int { centroids.rows }
    var count: Int { location.count }

    /// The cohort of `id`, if it is stored.
    func cohort(of id: Int64) -> Int? { location[id].map { Int($0.cohort) } }

    /// Every cohort's similarity to `vector` (unit length), best first, the first `count`.
    func nearestCohorts(to vector: UnsafeBufferPointer<Float>, count: Int, backend: BLASBackend) -> [Neighbor] {
        var scores = [Float](repeating: 0, count: k)
        centroids.withUnsafeBufferPointer { c in
            backend.multiply(rows: k, columns: centroids.columns, a: c.baseAddress!, lda: centroids.columns, x: vector.baseAddress!, y: &scores)
        }
        var top = TopK(k: max(1, min(count, k)))
        top.offer(scores: scores, count: k) { Int64($0) }
        return top.sorted()
    }

    /// Stores `unit` for `id` in `cohort`, or in its nearest cohort when `cohort` is nil,
    /// moving it out of the cohort it was in.
    mutating func upsert(id: Int64, unit: UnsafeBufferPointer<Float>, cohort: Int?, backend: BLASBackend) {
        let target = cohort ?? Int(nearestCohorts(to: unit, count: 1, backend: backend)[0].id)
        if let current = location[id], Int(current.cohort) == target {
            cohorts[target].vectors.replaceRow(Int(current.row), with: unit)
            return
        }
        remove(id: id)
        location[id] = (Int32(target), Int32(cohorts[target].ids.count))
        cohorts[target].ids.append(id)
        cohorts[target].vectors.append(row: unit)
    }

    /// Removes `id` (the last row of its cohort moves into its place).
    mutating func remove(id: Int64) {
        guard let (cohort, row) = location.removeValue(forKey: id) else { return }
        let c = Int(cohort), r = Int(row)
        let last = cohorts[c].ids.count - 1
        if r != last {
            let moved = cohorts[c].ids[last]
            cohorts[c].ids[r] = moved
            cohorts[c].vectors.moveRow(last, to: r)
            location[moved] = (cohort, row)
        }
        cohorts[c].ids.removeLast()
        cohorts[c].vectors.removeLast(1)
    }

    /// The `k` members most similar to `query` (unit length) among the `nprobe` cohorts
    /// nearest to it (or only `cohort`), leaving out `excluded`; best first.
    ///
    /// - Complexity: k·d for the centroids plus 2·d per member of each scanned cohort.
    func search(query: UnsafeBufferPointer<Float>, k: Int, nprobe: Int, cohort: Int?, excluded: Set<Int64>, backend: BLASBackend) -> [Neighbor] {
        let scanned = cohort.map { [$0] } ?? nearestCohorts(to: query, count: nprobe, backend: backend).map { Int($0.id) }
        var top = TopK(k: k)
        var scores: [Float] = []
        for c in scanned {
            let members = cohorts[c]
            let rows = members.ids.count
            guard rows > 0 else { continue }
            if scores.count < rows { scores = [Float](repeating: 0, count: rows) }
            members.vectors.withUnsafeBufferPointer { v in
                backend.multiply(rows: rows, columns: centroids.columns, a: v.baseAddress!, lda: centroids.columns, x: query.baseAddress!, y: &scores)
            }
            members.ids.withUnsafeBufferPointer { ids in
                top.offer(scores: scores, count: rows) { excluded.contains(ids[$0]) ? nil : ids[$0] }
            }
        }
        return top.sorted()
    }
}

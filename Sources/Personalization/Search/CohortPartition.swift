public import VectorIndex
public import VectorMath

/// The creators' vectors grouped by cohort ("IVF" over a cohort run): each cohort's
/// members are contiguous rows of a matrix of their own, so scanning a cohort is one GEMV.
///
/// A search scores the query against the k centroids, then scans the `nprobe` nearest
/// cohorts only. Creators written after the run joined the cohort of their nearest centroid.
/// Members are stored as int8 codes (`Int8Rows`: a quarter of float32's bytes, scanned with
/// VNNI; a score is within ``scoreError(query:)`` of the exact one), so callers ask for a
/// shortlist and re-rank it in float32: ``search(query:k:nprobe:cohort:excluded:index:threads:backend:)``
/// does both, for the engine's partitioned searches and for `onering bench partitioned` alike.
public struct CohortPartition: Sendable {
    /// One cohort's members: `ids[i]` owns row `i` of `codes` (unit vectors, int8).
    struct Members: Sendable {
        var ids: [Int64] = []
        var codes: Int8Rows
        /// At least every row's rounding error norm (it never shrinks: removals leave it as it was).
        var largestErrorNorm: Float = 0
    }

    /// The run's centroids, k × d, unit length.
    public let centroids: Matrix<Float>
    private(set) var cohorts: [Members]
    /// Where each creator is: cohort and row.
    private var location: [Int64: (cohort: Int32, row: Int32)] = [:]

    /// An empty partition around `centroids`, with room for `expectedSizes[c]` members in
    /// cohort c (growing a cohort row by row would copy it again and again).
    public init(centroids: Matrix<Float>, expectedSizes: [Int] = []) {
        self.centroids = centroids
        cohorts = (0..<centroids.rows).map { c in
            var codes = Int8Rows(dims: centroids.columns)
            codes.reserveCapacity(rows: c < expectedSizes.count ? expectedSizes[c] : 0)
            return Members(codes: codes)
        }
        location.reserveCapacity(expectedSizes.reduce(0, +))
    }

    /// The number of cohorts.
    public var k: Int { centroids.rows }
    /// The number of members.
    public var count: Int { location.count }
    /// Bytes of one member's codes (its dimension rounded up to 64).
    public var codeStride: Int { cohorts.first?.codes.stride ?? centroids.columns }

    /// The creators in `cohort`.
    public func members(of cohort: Int) -> [Int64] { cohorts[cohort].ids }

    /// The cohort of `id`, if it is stored.
    public func cohort(of id: Int64) -> Int? { location[id].map { Int($0.cohort) } }

    /// Every cohort's similarity to `vector` (unit length), best first, the first `count`.
    public func nearestCohorts(to vector: UnsafeBufferPointer<Float>, count: Int, backend: BLASBackend) -> [Neighbor] {
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
    public mutating func upsert(id: Int64, unit: UnsafeBufferPointer<Float>, cohort: Int?, backend: BLASBackend) {
        let target = cohort ?? Int(nearestCohorts(to: unit, count: 1, backend: backend)[0].id)
        if let current = location[id], Int(current.cohort) == target {
            let row = Int(current.row)
            cohorts[target].codes.replaceRow(row, with: unit)
            noteErrorNorm(ofRow: row, in: target)
            return
        }
        append(id, to: target) { $0.append(row: unit) }
    }

    /// Stores `id` in `cohort` as a copy of row `row` of `codes` (the codes ``upsert(id:unit:cohort:backend:)``
    /// makes of the same vector), moving it out of the cohort it was in.
    public mutating func upsert(id: Int64, codes: Int8Rows, row source: Int, cohort target: Int) {
        append(id, to: target) { $0.append(row: source, of: codes) }
    }

    /// Moves `id` out of the cohort it was in and to the end of `target`, whose codes `appendCodes` extends by its row.
    private mutating func append(_ id: Int64, to target: Int, _ appendCodes: (inout Int8Rows) -> Void) {
        remove(id: id)
        let row = cohorts[target].ids.count
        location[id] = (Int32(target), Int32(row))
        cohorts[target].ids.append(id)
        appendCodes(&cohorts[target].codes)
        noteErrorNorm(ofRow: row, in: target)
    }

    /// Keeps `largestErrorNorm` of cohort `c` at least row `row`'s.
    private mutating func noteErrorNorm(ofRow row: Int, in c: Int) {
        cohorts[c].largestErrorNorm = max(cohorts[c].largestErrorNorm, cohorts[c].codes.errorNorm(ofRow: row))
    }

    /// The most an int8 score of `query` against any member can differ from the exact one.
    func scoreError(query: UnsafeBufferPointer<Float>) -> Float {
        let coded = Int8Rows.Query(query, stride: codeStride)
        return coded.errorBound(rowErrorNorm: cohorts.map(\.largestErrorNorm).max() ?? 0)
    }

    /// Removes `id` (the last row of its cohort moves into its place).
    public mutating func remove(id: Int64) {
        guard let (cohort, row) = location.removeValue(forKey: id) else { return }
        let c = Int(cohort), r = Int(row)
        let last = cohorts[c].ids.count - 1
        if r != last {
            let moved = cohorts[c].ids[last]
            cohorts[c].ids[r] = moved
            cohorts[c].codes.moveRow(last, to: r)
            location[moved] = (cohort, row)
        }
        cohorts[c].ids.removeLast()
        cohorts[c].codes.removeLast(1)
    }

    /// The `k` members most similar to `query` (unit length) among the `nprobe` cohorts nearest
    /// to it (or only `cohort`), leaving out `excluded`, best first, with exact float32 scores.
    ///
    /// An int8 shortlist of 2k + 32 from the scanned cohorts is re-ranked in float32 against
    /// `index` (which holds every member). When the search covers a whole population (one
    /// `cohort`, or `nprobe` ≥ ``k``: an exact search) the shortlist is widened fourfold until no
    /// row left out can beat the k-th exact score by the int8 bound (``scoreError(query:)``), so
    /// the answer is exact. Over fewer cohorts it stays at 2k + 32: the search is approximate
    /// anyway (a neighbour in a cohort not probed is missed), and the worst-case bound, loose on
    /// clusters of near-equal scores, would widen it to the whole scan; its recall is measured
    /// (`onering bench partitioned`). The scan splits over `threads` workers when it covers many rows.
    /// - Complexity: k·d for the centroids, d bytes per member of each scanned cohort, and
    ///   (2k + 32)·d for the re-rank (an exact search: more when near-ties straddle the shortlist's edge).
    public func search(
        query: UnsafeBufferPointer<Float>, k: Int, nprobe: Int, cohort: Int? = nil, excluded: Set<Int64> = [],
        index: borrowing VectorIndex, threads: Int = 1, backend: BLASBackend
    ) -> [Neighbor] {
        let exhaustive = cohort != nil || nprobe >= self.k
        let error = exhaustive ? scoreError(query: query) : 0
        var width = Self.shortlistWidth(k)
        while true {
            let found = shortlist(query: query, k: width, nprobe: nprobe, cohort: cohort, excluded: excluded, threads: threads, backend: backend)
            let exact = Self.rerank(found, query: query, k: k, index: index)
            if !exhaustive || Self.settled(found, width: width, exact: exact, k: k, error: error) { return exact }
            width *= 4
        }
    }

    /// The first int8 shortlist a search of `k` re-ranks: wide enough that the estimates' error
    /// (about 0.01 on unit vectors) seldom leaves a true neighbour out of it.
    public static func shortlistWidth(_ k: Int) -> Int { 2 * k + 32 }

    /// Whether re-ranking `shortlist` (the best `width` int8 estimates) into `exact` found the
    /// exact top `k`: every row was shortlisted, or the worst shortlisted estimate plus the largest
    /// int8 error stays below the k-th exact score, so no row left out can enter.
    private static func settled(_ shortlist: [Neighbor], width: Int, exact: [Neighbor], k: Int, error: Float) -> Bool {
        shortlist.count < width || (exact.count == k && shortlist.last!.score + error < exact[k - 1].score)
    }

    /// The best `k` of `candidates` by exact float32 score against `query`, read from `index`.
    static func rerank(_ candidates: [Neighbor], query: UnsafeBufferPointer<Float>, k: Int, index: borrowing VectorIndex) -> [Neighbor] {
        var top = TopK(k: k)
        for candidate in candidates {
            guard let score = index.score(of: candidate.id, query: query) else { continue }
            top.offer(Neighbor(id: candidate.id, score: score))
        }
        return top.sorted()
    }

    /// As ``search(query:k:nprobe:cohort:excluded:index:threads:backend:)``, on the caller's thread,
    /// and with it the `count` members of `cohort` nearest to `query` by int8 estimate (leaving out
    /// `excludedMembers`), picked in the same pass when `cohort` is one of the probed ones (what a
    /// context needs: the creator's own cohort is nearly always probed).
    func search(
        query: UnsafeBufferPointer<Float>, k: Int, nprobe: Int, excluded: Set<Int64>, membersOf cohort: Int, count: Int,
        excludedMembers: Set<Int64>, index: borrowing VectorIndex, backend: BLASBackend
    ) -> (neighbors: [Neighbor], members: [Neighbor]) {
        var scanned = nearestCohorts(to: query, count: nprobe, backend: backend).map { Int($0.id) }
        let probed = scanned.count
        if !scanned.contains(cohort) { scanned.append(cohort) }
        let coded = Int8Rows.Query(query, stride: codeStride)
        var top = TopK(k: Self.shortlistWidth(k)), members = TopK(k: count)
        var scores = [Float](repeating: 0, count: Self.chunkRows)
        for (position, c) in scanned.enumerated() {
            let inTop = position < probed, inMembers = c == cohort
            scoreChunks(of: c, rows: 0..<cohorts[c].ids.count, coded, into: &scores) { scores, rows, id in
                if inTop { top.offer(scores: scores, count: rows) { excluded.contains(id($0)) ? nil : id($0) } }
                if inMembers { members.offer(scores: scores, count: rows) { excludedMembers.contains(id($0)) ? nil : id($0) } }
            }
        }
        return (Self.rerank(top.sorted(), query: query, k: k, index: index), members.sorted())
    }

    /// Rows scored at a time: the scores of a chunk stay in the first-level cache.
    private static let chunkRows = 4_096

    /// Scores `rows` of cohort `c` against `coded`, a chunk at a time in `scores`, handing `offer`
    /// each chunk's scores, its row count, and the id of its i-th row.
    private func scoreChunks(
        of c: Int, rows: Range<Int>, _ coded: Int8Rows.Query, into scores: inout [Float],
        _ offer: (UnsafePointer<Float>, Int, (Int) -> Int64) -> Void
    ) {
        cohorts[c].ids.withUnsafeBufferPointer { ids in
            scores.withUnsafeMutableBufferPointer { scores in
                var start = rows.lowerBound
                while start < rows.upperBound {
                    let count = min(scores.count, rows.upperBound - start)
                    cohorts[c].codes.estimates(coded, rows: start..<start + count, into: scores.baseAddress!)
                    let first = start
                    offer(scores.baseAddress!, count) { ids[first + $0] }
                    start += count
                }
            }
        }
    }

    /// The `k` members most similar to `query` (unit length) by int8 estimate among the `nprobe`
    /// cohorts nearest to it (or only `cohort`), leaving out `excluded`; best first.
    ///
    /// Scores are int8 estimates (within ``scoreError(query:)`` of the exact ones). The scanned
    /// rows are split evenly over `threads` workers (one int8 GEMV per cohort slice each), whose
    /// selections merge at the end; below `parallelRows` rows the caller's thread does it all.
    /// - Complexity: k·d for the centroids plus d bytes per member of each scanned cohort.
    func shortlist(
        query: UnsafeBufferPointer<Float>, k: Int, nprobe: Int, cohort: Int?, excluded: Set<Int64>,
        threads: Int = 1, parallelRows: Int = 16_384, backend: BLASBackend
    ) -> [Neighbor] {
        let scanned = cohort.map { [$0] } ?? nearestCohorts(to: query, count: nprobe, backend: backend).map { Int($0.id) }
        let total = scanned.reduce(0) { $0 + cohorts[$1].ids.count }
        let workers = total >= parallelRows ? max(1, threads) : 1
        let coded = Int8Rows.Query(query, stride: codeStride)
        // Worker w scans rows [w·total/workers, (w+1)·total/workers) of the scanned cohorts laid end to end.
        func scan(_ worker: Int) -> TopK {
            var top = TopK(k: k)
            let begin = worker * total / workers, end = (worker + 1) * total / workers
            var offset = 0
            var scores = [Float](repeating: 0, count: min(end - begin, Self.chunkRows))
            for c in scanned {
                let rows = cohorts[c].ids.count
                defer { offset += rows }
                let from = max(begin - offset, 0), to = min(end - offset, rows)
                guard from < to else { continue }
                scoreChunks(of: c, rows: from..<to, coded, into: &scores) { scores, count, id in
                    top.offer(scores: scores, count: count) { excluded.contains(id($0)) ? nil : id($0) }
                }
            }
            return top
        }
        guard workers > 1 else { return scan(0).sorted() }
        var tops = [TopK](repeating: TopK(k: k), count: workers)
        tops.withUnsafeMutableBufferPointer { slots in
            // Each worker writes its own slot only.
            nonisolated(unsafe) let slots = slots
            ParallelBlocks.forEach(count: workers, blockSize: 1, threads: workers) { _, range in slots[range.lowerBound] = scan(range.lowerBound) }
        }
        var merged = tops[0]
        for other in tops.dropFirst() { merged.merge(other) }
        return merged.sorted()
    }
}

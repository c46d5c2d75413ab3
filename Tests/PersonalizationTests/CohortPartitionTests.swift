import Testing
import VectorIndex
import VectorMath

@testable import Personalization

@Suite("Cohort-partitioned search")
struct CohortPartitionTests {
    @Test("members move between cohorts and leave cleanly; scanning every cohort is exact")
    func partition() throws {
        let backend = try BLASBackend.shared()
        let centroids = Matrix<Float>(columns: 2, values: [1, 0, 0, 1])
        var partition = CohortPartition(centroids: centroids)
        let vectors: [Int64: [Float]] = [1: [1, 0], 2: [0.8, 0.6], 3: [0, 1], 4: [0.6, 0.8]]
        for (id, vector) in vectors.sorted(by: { $0.key < $1.key }) {
            vector.withUnsafeBufferPointer { partition.upsert(id: id, unit: $0, cohort: nil, backend: backend) }
        }
        #expect([1, 2, 3, 4].map { partition.cohort(of: $0) } == [0, 0, 1, 1])
        // Creator 1 moves to cohort 1 when its vector changes; creator 2 is removed.
        [Float(0.0), 1].withUnsafeBufferPointer { partition.upsert(id: 1, unit: $0, cohort: nil, backend: backend) }
        partition.remove(id: 2)
        #expect(partition.cohort(of: 1) == 1 && partition.cohort(of: 2) == nil && partition.count == 3)
        let query: [Float] = [0.6, 0.8]
        let hits = query.withUnsafeBufferPointer { partition.shortlist(query: $0, k: 3, nprobe: 2, cohort: nil, excluded: [], backend: backend) }
        #expect(hits.map(\.id) == [4, 1, 3])
        let firstCohortOnly = query.withUnsafeBufferPointer { partition.shortlist(query: $0, k: 3, nprobe: 1, cohort: nil, excluded: [4], backend: backend) }
        #expect(firstCohortOnly.map(\.id) == [1, 3])
    }

    @Test("every int8 score is within the partition's bound of the exact one, on spiky vectors and near-duplicates")
    func scoreBound() throws {
        let backend = try BLASBackend.shared()
        let dims = 256
        var random = SplitMix64(seed: 7)
        func unit(_ values: [Float]) -> [Float] {
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return values.map { $0 / norm }
        }
        func gaussian() -> [Float] { (0..<dims).map { _ in random.nextGaussian() } }
        let base = unit(gaussian())
        var vectors: [[Float]] = []
        for index in 0..<1_200 {
            switch index % 3 {
            case 0: vectors.append(unit(gaussian()))
            // One coordinate holds most of the norm: the coarsest codes (the scale is set by the spike).
            case 1: vectors.append(unit(gaussian().enumerated().map { $0.offset == index % dims ? 40 : $0.element * 0.05 }))
            // Near-duplicates of one vector: scores that differ in the fourth decimal.
            default: vectors.append(unit(zip(base, gaussian()).map { $0 + 0.002 * $1 }))
            }
        }
        let centroids = Matrix<Float>(columns: dims, values: (0..<4).flatMap { _ in unit(gaussian()) })
        var partition = CohortPartition(centroids: centroids)
        for (id, vector) in vectors.enumerated() {
            vector.withUnsafeBufferPointer { partition.upsert(id: Int64(id), unit: $0, cohort: nil, backend: backend) }
        }
        for query in [base, unit(gaussian()), vectors[1]] {
            let bound = query.withUnsafeBufferPointer { partition.scoreError(query: $0) }
            let hits = query.withUnsafeBufferPointer {
                partition.shortlist(query: $0, k: vectors.count, nprobe: 4, cohort: nil, excluded: [], backend: backend)
            }
            #expect(hits.count == vectors.count)
            let worst = hits.map { hit in abs(hit.score - zip(vectors[Int(hit.id)], query).reduce(0) { $0 + $1.0 * $1.1 }) }.max() ?? 0
            #expect(worst <= bound, "an int8 score is \(worst) from the exact one; the bound is \(bound)")
            #expect(bound < 0.1, "a bound this loose would re-rank everything: \(bound)")
        }
    }

    @Test("the public search re-ranks in float32: exact scores, and over every cohort the exact top k, on near-duplicates")
    func rerankedSearch() throws {
        let backend = try BLASBackend.shared()
        let dims = 96, count = 2_000
        var random = SplitMix64(seed: 11)
        // Near-duplicates of 8 directions: int8 estimates alone misorder rows whose scores differ in the fourth decimal.
        let directions = (0..<8).map { _ in (0..<dims).map { _ in random.nextGaussian() } }
        let data = Matrix<Float>(
            columns: dims, values: (0..<count).flatMap { row in directions[row % 8].map { $0 + 0.01 * random.nextGaussian() } })
        let clustering = try KMeans.run(data, parameters: .init(k: 8, threads: 1), backend: backend)
        let index = try VectorIndex(ids: (0..<Int64(count)).map { $0 }, vectors: data, configuration: .init(storage: .int8))
        var partition = CohortPartition(centroids: clustering.centroids, expectedSizes: clustering.counts)
        for (row, cohort) in clustering.assignments.enumerated() {
            _ = index.withCodes(of: Int64(row)) { partition.upsert(id: Int64(row), codes: $0, row: $1, cohort: Int(cohort)) }
        }
        for q in [0, 5, 1_234] {
            let query = try index.vector(for: Int64(q)).map { $0 + 0.02 * random.nextGaussian() }
            let unit = try UnitVector.normalized(query)
            let exact = try index.search(vector: unit, k: 10)
            let everyCohort = unit.withUnsafeBufferPointer { partition.search(query: $0, k: 10, nprobe: 8, index: index, backend: backend) }
            #expect(everyCohort.map(\.id) == exact.map(\.id))
            let oneCohort = unit.withUnsafeBufferPointer {
                partition.search(query: $0, k: 10, nprobe: 1, excluded: [exact[0].id], index: index, backend: backend)
            }
            #expect(!oneCohort.contains { $0.id == exact[0].id } && oneCohort.count == 10)
            for hit in oneCohort {
                let score = unit.withUnsafeBufferPointer { index.score(of: hit.id, query: $0) }
                #expect(hit.score == score)
            }
        }
    }

    @Test("silhouette: well-separated clusters score near 1, a wrong split scores lower")
    func silhouette() {
        // Two tight groups on orthogonal axes.
        let points: [[Float]] = [[1, 0], [0.99, 0.14], [0.98, 0.2], [0, 1], [0.14, 0.99], [0.2, 0.98]]
        var similarity = [Float](repeating: 0, count: 36)
        for i in 0..<6 { for j in 0..<6 { similarity[i * 6 + j] = points[i][0] * points[j][0] + points[i][1] * points[j][1] } }
        let right = KSelection.silhouette(similarity: similarity, labels: [0, 0, 0, 1, 1, 1], k: 2)
        let wrong = KSelection.silhouette(similarity: similarity, labels: [0, 1, 0, 1, 0, 1], k: 2)
        #expect(right > 0.9 && wrong < 0)
    }
}

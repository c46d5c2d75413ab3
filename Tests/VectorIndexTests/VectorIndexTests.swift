import Testing
import VectorIndex
import VectorMath

/// What the index should hold: the vectors the test gave it, by id, kept up to date by the test.
struct Reference {
    var vectors: [Int64: [Float]] = [:]
    var storage: VectorIndex.Storage = .float32

    /// Double-precision brute force over the given vectors (normalised here, and rounded to
    /// float16 as float16 storage rounds them), never over what the index stored.
    func top(_ query: [Float], k: Int, among ids: [Int64]? = nil) -> [Neighbor] {
        let queryNorm = query.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let scored = (ids ?? Array(vectors.keys)).compactMap { id -> Neighbor? in
            guard let v = vectors[id] else { return nil }
            let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let unit = v.map { Float(Double($0) / norm) }
            let stored = storage == .float16 ? unit.map { Float(Float16($0)) } : unit
            return Neighbor(id: id, score: Float(zip(query, stored).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / queryNorm))
        }
        return Array(scored.sorted { $0.ranks(before: $1) }.prefix(k))
    }
}

func sameAnswer(_ got: [Neighbor], _ expected: [Neighbor]) -> Bool {
    got.count == expected.count && zip(got, expected).allSatisfy { $0.id == $1.id && abs($0.score - $1.score) < 1e-5 }
}

@Suite("VectorIndex changes and searches")
struct VectorIndexTests {
    static let dims = 32

    func makeIndex(count: Int, storage: VectorIndex.Storage = .float32, seed: UInt64 = 1) throws -> (VectorIndex, Matrix<Float>, Reference) {
        let vectors = SyntheticVectors(dims: Self.dims, clusters: 4, seed: seed).generate(count: count)
        var index = try VectorIndex(dims: Self.dims, configuration: .init(storage: storage))
        let ids = (0..<count).map { Int64($0 * 10) }
        try index.upsert(ids: ids, vectors: vectors)
        var reference = Reference(storage: storage)
        for (row, id) in ids.enumerated() { reference.vectors[id] = vectors.row(row) }
        return (index, vectors, reference)
    }

    @Test(arguments: VectorIndex.Storage.allCases)
    func searchMatchesTheOracle(storage: VectorIndex.Storage) throws {
        let (index, _, reference) = try makeIndex(count: 400, storage: storage)
        let queries = SyntheticVectors(dims: Self.dims, clusters: 4, seed: 1).generate(count: 9, stream: 3)
        let batched = try index.search(batch: queries, k: 10)
        for q in 0..<queries.rows {
            let expected = reference.top(queries.row(q), k: 10)
            #expect(sameAnswer(try index.search(vector: queries.row(q), k: 10), expected))
            #expect(sameAnswer(batched[q], expected))
        }
    }

    @Test(arguments: VectorIndex.Storage.allCases)
    func copyVectorWritesTheStoredUnitVector(storage: VectorIndex.Storage) throws {
        let (index, _, reference) = try makeIndex(count: 20, storage: storage)
        var buffer = [Float](repeating: .nan, count: Self.dims)
        for id in [Int64(0), 70, 190] {
            // The given vector, normalised (and rounded to float16 as that storage rounds it).
            let given = try #require(reference.vectors[id])
            let norm = given.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let unit = given.map { Float(Double($0) / norm) }.map { storage == .float16 ? Float(Float16($0)) : $0 }
            #expect(buffer.withUnsafeMutableBufferPointer { index.copyVector(for: id, into: $0.baseAddress!) })
            #expect(zip(buffer, unit).allSatisfy { abs($0 - $1) < 1e-6 }, "\(id)")
            #expect(buffer == (try index.vector(for: id)))
        }
        let before = buffer
        #expect(!buffer.withUnsafeMutableBufferPointer { index.copyVector(for: 5, into: $0.baseAddress!) })
        #expect(buffer == before)
    }

    @Test func upsertOfAKnownIDReplacesItsVector() throws {
        var (index, vectors, _) = try makeIndex(count: 50)
        let replacement = vectors.row(7).map { -$0 }
        try index.upsert(id: 30, vector: replacement.map { $0 * 5 })
        #expect(index.count == 50)
        let stored = try index.vector(for: 30)
        #expect(zip(stored, replacement).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(try index.search(vector: replacement, k: 1)[0].id == 30)
    }

    @Test func searchByIDExcludesItself() throws {
        let (index, _, reference) = try makeIndex(count: 120)
        let hits = try index.search(id: 50, k: 5)
        #expect(hits.count == 5 && !hits.contains { $0.id == 50 })
        #expect(sameAnswer(hits, Array(reference.top(reference.vectors[50]!, k: 6).filter { $0.id != 50 }.prefix(5))))
    }

    @Test func deletesAreSkippedAndCompactionKeepsAnswers() throws {
        var (index, _, reference) = try makeIndex(count: 200)
        let query = SyntheticVectors(dims: Self.dims, seed: 99).generate(count: 1).row(0)
        for id in stride(from: 0, to: 2000, by: 30).map(Int64.init) {
            try index.remove(id: id)
            reference.vectors[id] = nil
        }
        #expect(index.count == 200 - 67)
        #expect(!index.contains(30))
        #expect(sameAnswer(try index.search(vector: query, k: 15), reference.top(query, k: 15)))
        // Past a quarter of the rows the index compacted by itself.
        #expect(index.rowCount < 200 && Double(index.tombstoneCount) <= 0.25 * Double(index.rowCount))
        for id in stride(from: 10, to: 2000, by: 20).map(Int64.init) where index.contains(id) {
            try index.remove(id: id)
            reference.vectors[id] = nil
        }
        #expect(Double(index.tombstoneCount) <= 0.25 * Double(index.rowCount))
        index.compact()
        #expect(index.rowCount == index.count && index.tombstoneCount == 0)
        #expect(sameAnswer(try index.search(vector: query, k: 15), reference.top(query, k: 15)))
        try index.upsert(id: 30, vector: query)
        #expect(try index.search(vector: query, k: 1)[0].id == 30)
    }

    @Test(arguments: VectorIndex.Storage.allCases)
    func filteredSearchScansOnlyCandidates(storage: VectorIndex.Storage) throws {
        let (index, _, reference) = try makeIndex(count: 300, storage: storage)
        let query = SyntheticVectors(dims: Self.dims, seed: 4).generate(count: 1).row(0)
        let allowed: Set<Int64> = [20, 40, 990, 1500, 2990, 5, 123_456]
        let known = allowed.filter(index.contains).sorted()
        let hits = try index.search(vector: query, k: 10, filter: .allowList(allowed))
        #expect(hits.count == known.count)
        #expect(sameAnswer(hits, reference.top(query, k: 10, among: known)))
        let even = try index.search(vector: query, k: 20, filter: .predicate { $0 % 20 == 0 })
        #expect(sameAnswer(even, reference.top(query, k: 20, among: index.allIDs.filter { $0 % 20 == 0 })))
        #expect(try index.search(vector: query, k: 3, filter: .allowList([])).isEmpty)
    }

    @Test func badInputIsAClearErrorAndChangesNothing() throws {
        var (index, vectors, _) = try makeIndex(count: 20)
        let before = try index.search(vector: vectors.row(0), k: 5)
        func code(_ body: () throws -> Void) -> VectorIndexError.Code? {
            do {
                try body()
                return nil
            } catch { return (error as? VectorIndexError)?.code }
        }
        #expect(code { try index.upsert(id: 1, vector: [1, 2]) } == .dimensionMismatch)
        #expect(code { try index.upsert(id: 1, vector: [Float](repeating: 0, count: Self.dims)) } == .invalidVector)
        #expect(code { try index.upsert(id: 1, vector: [Float.nan] + [Float](repeating: 1, count: Self.dims - 1)) } == .invalidVector)
        #expect(code { try index.upsert(id: .min, vector: vectors.row(0)) } == .unknownID)
        var batch = vectors
        batch.replaceRow(19, with: [Float](repeating: .infinity, count: Self.dims))
        #expect(code { try index.upsert(ids: (1000..<1020).map { $0 }, vectors: batch) } == .invalidVector)
        #expect(code { try index.upsert(ids: [1, 1], vectors: Matrix(columns: Self.dims, values: vectors.row(0) + vectors.row(1))) } == .unknownID)
        #expect(code { _ = try index.search(vector: vectors.row(0), k: 0) } == .invalidK)
        #expect(code { _ = try index.search(vector: vectors.row(0), k: 21) } == .invalidK)
        #expect(code { _ = try index.search(id: 0, k: 20) } == .invalidK)
        #expect(code { _ = try index.search(vector: [1], k: 1) } == .dimensionMismatch)
        #expect(code { _ = try index.search(id: 77, k: 1) } == .unknownID)
        #expect(code { try index.remove(id: 77) } == .unknownID)
        #expect(index.count == 20)
        #expect(try index.search(vector: vectors.row(0), k: 5) == before)
        let empty = try VectorIndex(dims: 4)
        #expect(code { _ = try empty.search(vector: [1, 0, 0, 0], k: 1) } == .emptyIndex)
    }
}

public import VectorMath

/// An in-memory index from external ids to unit vectors, answering exact cosine
/// top-k queries.
///
/// Vectors live as rows of one contiguous matrix (float32, or float16 for half
/// the memory and scan bandwidth). An upsert of a known id overwrites its row in
/// place; a new id appends a row; a delete marks the row as a tombstone, which
/// searches skip. When tombstones pass ``Configuration/compactionThreshold`` of
/// the rows, live rows are moved down over them in one O(N) pass, so each change
/// costs O(d) amortised.
///
/// A value type: copies share the matrix until one is changed. Not safe for
/// concurrent mutation; the engine serialises writers.
public struct VectorIndex: Sendable {
    /// How vectors are stored.
    public enum Storage: String, Sendable, CaseIterable {
        /// 4 bytes per component; searches are exact.
        case float32
        /// 2 bytes per component (IEEE binary16); scores carry ~1e-3 error.
        case float16
        /// float32 rows plus int8 codes (1 byte per component and 12 a row): searches without a
        /// filter score the codes and re-rank in float32 only the rows that could be in the top k,
        /// so they stay exact (`Int8Search`). About 1.25 × the float32 memory.
        case int8

        /// Bytes per component of the vectors a snapshot holds (int8 storage keeps float32
        /// rows there and quantises them again when it loads).
        public var elementSize: Int { self == .float16 ? 2 : 4 }
    }

    /// Tuning of an index.
    public struct Configuration: Sendable {
        /// How vectors are stored. Default: float32.
        public var storage: Storage
        /// Share of tombstoned rows that triggers compaction. Default: 0.25.
        public var compactionThreshold: Double
        /// Parameters for the searches (k is set per call). Default: every core.
        public var search: ExactSearch.Parameters

        /// A configuration with the documented defaults.
        public init(
            storage: Storage = .float32, compactionThreshold: Double = 0.25,
            search: ExactSearch.Parameters = ExactSearch.Parameters(k: 10)
        ) {
            self.storage = storage
            self.compactionThreshold = compactionThreshold
            self.search = search
        }
    }

    /// Which rows a filtered search may return.
    public enum Filter: Sendable {
        /// Only these ids (unknown ids are ignored).
        case allowList(Set<Int64>)
        /// Only ids for which the predicate is true.
        case predicate(@Sendable (Int64) -> Bool)
    }

    /// The marker of a deleted row; not a valid id.
    public static let tombstone = Int64.min

    /// The vectors' dimension.
    public let dims: Int
    /// The configuration the index was made with.
    public let configuration: Configuration
    let backend: BLASBackend
    // float32 or float16 is set, per `configuration.storage` (int8 keeps float32 and int8).
    // Optional chaining mutates in place, so changes never copy the matrix.
    var float32: Matrix<Float>?
    var float16: Matrix<Float16>?
    var int8: Int8Rows?
    /// `ids[row]`, or ``tombstone``.
    var ids: [Int64] = []
    var rowOfID: [Int64: Int] = [:]
    var tombstones = 0

    /// An empty index of `dims`-dimensional vectors.
    ///
    /// - Throws: ``VectorIndexError/Code/dimensionMismatch`` when `dims` ≤ 0; the BLAS
    ///   backend's load error when no BLAS library is usable.
    public init(dims: Int, configuration: Configuration = Configuration()) throws(VectorIndexError) {
        guard dims > 0 else { throw VectorIndexError(.dimensionMismatch, "dimension must be positive, got \(dims)") }
        do {
            backend = try BLASBackend.shared()
        } catch {
            throw VectorIndexError(.io, "BLAS unavailable: \(error.message)", underlying: error)
        }
        self.dims = dims
        self.configuration = configuration
        switch configuration.storage {
        case .float32: float32 = Matrix(columns: dims)
        case .float16: float16 = Matrix(columns: dims)
        case .int8:
            float32 = Matrix(columns: dims)
            int8 = Int8Rows(dims: dims)
        }
    }

    /// An index of `ids` over the rows of `vectors` (`ids.count × dims`), which it adopts:
    /// float32 storage normalises them in place without a copy when the caller holds no
    /// other reference to the matrix (a bulk read handed straight over).
    ///
    /// - Throws: ``VectorIndexError/Code/dimensionMismatch`` for a row count other than
    ///   `ids.count`; ``VectorIndexError/Code/unknownID`` for a repeated or reserved id;
    ///   ``VectorIndexError/Code/invalidVector`` for a NaN, infinite or zero row.
    /// - Complexity: O(n × d).
    public init(ids newIDs: [Int64], vectors: consuming Matrix<Float>, configuration: Configuration = Configuration()) throws(VectorIndexError) {
        try self.init(dims: vectors.columns, configuration: configuration)
        guard vectors.rows == newIDs.count else {
            throw VectorIndexError(.dimensionMismatch, "\(newIDs.count) ids for \(vectors.rows) vectors")
        }
        var rows = [Int64: Int](minimumCapacity: newIDs.count)
        for (row, id) in newIDs.enumerated() {
            guard id != Self.tombstone else { throw VectorIndexError(.unknownID, "id \(id) is reserved") }
            guard rows.updateValue(row, forKey: id) == nil else { throw VectorIndexError(.unknownID, "the batch repeats id \(id)") }
        }
        do {
            try vectors.normalizeRows()
        } catch {
            throw VectorIndexError(.invalidVector, "vector \(error.message)", underlying: error)
        }
        switch configuration.storage {
        case .float32: float32 = vectors
        case .float16: float16 = vectors.toHalf()
        case .int8:
            int8 = Int8Rows(vectors)
            float32 = vectors
        }
        ids = newIDs
        rowOfID = rows
    }

    /// Bytes of the vectors, codes and ids that are resident in RAM (`mincore`).
    public var residentBytes: Int {
        (float32.map { ResidentPages.bytes(of: $0.allocation) } ?? 0) + (float16.map { ResidentPages.bytes(of: $0.allocation) } ?? 0)
            + (int8?.residentBytes ?? 0) + ids.withUnsafeBytes(ResidentPages.bytes)
    }

    /// Live vectors.
    public var count: Int { ids.count - tombstones }
    /// Rows including tombstones not yet compacted.
    public var rowCount: Int { ids.count }
    /// Whether the index holds no live vector.
    public var isEmpty: Bool { count == 0 }
    /// Tombstoned rows awaiting compaction.
    public var tombstoneCount: Int { tombstones }
    /// Bytes allocated for vectors and ids.
    public var allocatedBytes: Int {
        (float32?.allocatedBytes ?? 0) + (float16?.allocatedBytes ?? 0) + (int8?.allocatedBytes ?? 0) + ids.capacity * 8
    }

    /// Whether `id` is stored.
    public func contains(_ id: Int64) -> Bool { rowOfID[id] != nil }

    /// The stored (unit) vector of `id`, as float32.
    public func vector(for id: Int64) throws(VectorIndexError) -> [Float] {
        var found = false
        let vector = [Float](unsafeUninitializedCapacity: dims) { buffer, initialized in
            found = copyVector(for: id, into: buffer.baseAddress!)
            initialized = found ? dims : 0
        }
        guard found else { throw VectorIndexError(.unknownID, "id \(id) is not in the index") }
        return vector
    }

    /// Writes the stored (unit) vector of `id`, as float32, to the `dims` floats at `destination`
    /// (no array made on the way); false, writing nothing, when `id` is not stored.
    public func copyVector(for id: Int64, into destination: UnsafeMutablePointer<Float>) -> Bool {
        guard let row = rowOfID[id] else { return false }
        if let float32 {
            float32.withUnsafeBufferPointer { destination.initialize(from: $0.baseAddress! + row * dims, count: dims) }
        } else {
            float16!.withUnsafeBufferPointer { source in
                for index in 0..<dims { (destination + index).initialize(to: Float(source[row * dims + index])) }
            }
        }
        return true
    }

    /// ⟨`query`, the stored vector of `id`⟩ as the exact searches score it (`Int8Search.dot`),
    /// read in place; nil when `id` is not stored.
    public func score(of id: Int64, query: UnsafeBufferPointer<Float>) -> Float? {
        guard let row = rowOfID[id] else { return nil }
        precondition(query.count == dims, "the query has \(query.count) dimensions; the index \(dims)")
        if let float32 {
            return float32.withUnsafeBufferPointer { Int8Search.dot($0.baseAddress! + row * dims, query.baseAddress!, count: dims) }
        }
        return float16!.row(row).map(Float.init).withUnsafeBufferPointer { Int8Search.dot($0.baseAddress!, query.baseAddress!, count: dims) }
    }

    /// Calls `body` with the int8 codes and the row of `id` (an int8 index only); nil otherwise.
    public func withCodes<Result>(of id: Int64, _ body: (Int8Rows, Int) -> Result) -> Result? {
        guard let int8, let row = rowOfID[id] else { return nil }
        return body(int8, row)
    }

    /// Every live id, in row order.
    public var allIDs: [Int64] { ids.filter { $0 != Self.tombstone } }

    // MARK: Changes

    /// Stores `vector` (normalised to unit length) under `id`, replacing any vector it had.
    ///
    /// - Throws: ``VectorIndexError/Code/dimensionMismatch``, ``VectorIndexError/Code/invalidVector``
    ///   (NaN, ∞, zero), ``VectorIndexError/Code/unknownID`` for ``tombstone``;
    ///   the index is unchanged when it throws.
    /// - Complexity: O(d) amortised.
    public mutating func upsert(id: Int64, vector: [Float]) throws(VectorIndexError) {
        store(try validated(vector, id: id), id: id)
    }

    /// Writes a validated unit vector to the row of `id`, appending one if it is new.
    private mutating func store<C: Collection>(_ unit: C, id: Int64) where C.Element == Float {
        if let row = rowOfID[id] {
            float32?.replaceRow(row, with: unit)
            float16?.replaceRow(row, with: unit.lazy.map(Float16.init))
            int8?.replaceRow(row, with: Array(unit))
            return
        }
        float32?.append(row: unit)
        float16?.append(row: unit.lazy.map(Float16.init))
        int8?.append(row: Array(unit))
        rowOfID[id] = ids.count
        ids.append(id)
    }

    /// Stores many vectors; all are validated before any is stored.
    ///
    /// - Parameters:
    ///   - ids: one id per row of `vectors`, no duplicates.
    ///   - vectors: `ids.count × dims`, row-major.
    /// - Throws: as ``upsert(id:vector:)``, plus ``VectorIndexError/Code/unknownID`` for a
    ///   duplicate id; nothing is stored when it throws.
    public mutating func upsert(ids newIDs: [Int64], vectors batch: Matrix<Float>) throws(VectorIndexError) {
        guard batch.columns == dims else {
            throw VectorIndexError(.dimensionMismatch, "vectors have dimension \(batch.columns), the index \(dims)")
        }
        guard batch.rows == newIDs.count else {
            throw VectorIndexError(.dimensionMismatch, "\(newIDs.count) ids for \(batch.rows) vectors")
        }
        guard Set(newIDs).count == newIDs.count else {
            throw VectorIndexError(.unknownID, "the batch repeats an id")
        }
        let reserved = newIDs.firstIndex(of: Self.tombstone)
        if let reserved { throw VectorIndexError(.unknownID, "id \(newIDs[reserved]) is reserved") }
        let dims = dims
        var norms: [Float] = []
        norms.reserveCapacity(newIDs.count)
        for r in 0..<batch.rows {
            do throws(VectorMathError) {
                norms.append(
                    try batch.withUnsafeBufferPointer { (values) throws(VectorMathError) in
                        try UnitVector.checkedNorm(UnsafeBufferPointer(rebasing: values[r * dims..<(r + 1) * dims]), index: nil)
                    })
            } catch {
                throw VectorIndexError(.invalidVector, "vector for id \(newIDs[r]): \(error.message)", underlying: error)
            }
        }
        reserveCapacity(rows: ids.count + newIDs.count)
        batch.withUnsafeBufferPointer { values in
            for (r, id) in newIDs.enumerated() {
                let scale = 1 / norms[r]
                let unit = values[r * dims..<(r + 1) * dims].lazy.map { $0 * scale }
                store(unit, id: id)
            }
        }
    }

    /// Removes `id`.
    ///
    /// - Throws: ``VectorIndexError/Code/unknownID`` when it is not stored.
    /// - Complexity: O(1), plus an O(N·d) compaction once per N·threshold removals.
    public mutating func remove(id: Int64) throws(VectorIndexError) {
        guard let row = rowOfID.removeValue(forKey: id) else {
            throw VectorIndexError(.unknownID, "id \(id) is not in the index")
        }
        ids[row] = Self.tombstone
        tombstones += 1
        if Double(tombstones) > configuration.compactionThreshold * Double(ids.count) { compact() }
    }

    /// Moves live rows down over tombstones, keeping their order, and frees the tail.
    ///
    /// - Complexity: O(rows × d).
    public mutating func compact() {
        guard tombstones > 0 else { return }
        var write = 0
        func moveRows<Element>(_ matrix: inout Matrix<Element>) {
            write = 0
            for read in 0..<ids.count where ids[read] != Self.tombstone {
                matrix.moveRow(read, to: write)
                write += 1
            }
            matrix.removeLast(matrix.rows - write)
        }
        if float32 != nil { moveRows(&float32!) }
        if float16 != nil { moveRows(&float16!) }
        if int8 != nil {
            write = 0
            for read in 0..<ids.count where ids[read] != Self.tombstone {
                int8!.moveRow(read, to: write)
                write += 1
            }
            int8!.removeLast(int8!.rows - write)
        }
        ids.removeAll { $0 == Self.tombstone }
        rowOfID = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        tombstones = 0
    }

    /// Makes room for `rows` rows in total.
    public mutating func reserveCapacity(rows: Int) {
        float32?.reserveCapacity(rows: rows)
        float16?.reserveCapacity(rows: rows)
        int8?.reserveCapacity(rows: rows)
        ids.reserveCapacity(rows)
        rowOfID.reserveCapacity(rows)
    }

    func validated(_ vector: [Float], id: Int64) throws(VectorIndexError) -> [Float] {
        guard id != Self.tombstone else { throw VectorIndexError(.unknownID, "id \(id) is reserved") }
        guard vector.count == dims else {
            throw VectorIndexError(.dimensionMismatch, "vector for id \(id) has dimension \(vector.count), the index \(dims)")
        }
        do {
            return try UnitVector.normalized(vector)
        } catch {
            throw VectorIndexError(.invalidVector, "vector for id \(id): \(error.message)", underlying: error)
        }
    }
}

extension VectorIndex {
    /// The live vectors as a float32 matrix in row order (ids in ``allIDs`` order).
    public func exportFloat32() -> Matrix<Float> {
        var index = self
        index.compact()
        if let float32 = index.float32 { return float32 }
        var matrix = Matrix<Float>(columns: dims, capacity: index.count)
        index.float16!.withUnsafeBufferPointer { half in
            matrix.appendRows(count: index.count) { destination in
                Float16.convert(half.baseAddress!, to: destination, count: half.count)
            }
        }
        return matrix
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// A dense row-major matrix, `rows × columns`, in one 64-byte-aligned allocation.
///
/// Rows are contiguous (`columns` elements each, no padding), so a block of rows
/// is a ready BLAS operand with leading dimension `columns`. The matrix grows by
/// appending rows; spare capacity is kept under 1/16 of the rows so that memory
/// stays within ~6% of the data. Value semantics: copies share storage until
/// one of them is mutated.
public struct Matrix<Element: VectorElement>: @unchecked Sendable {
    @usableFromInline final class Storage {
        @usableFromInline var base: UnsafeMutablePointer<Element>
        @usableFromInline var capacity: Int
        /// The length of the region when it was mapped (`mmap`) rather than allocated; 0 otherwise.
        let mappedLength: Int

        init(capacity: Int) {
            self.capacity = capacity
            let bytes = max(capacity, 1) * MemoryLayout<Element>.stride
            base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                .bindMemory(to: Element.self, capacity: max(capacity, 1))
            mappedLength = 0
        }

        /// Storage over a mapped region of `length` bytes, which it unmaps.
        init(mapped region: UnsafeMutableRawPointer, length: Int) {
            capacity = length / MemoryLayout<Element>.stride
            base = region.bindMemory(to: Element.self, capacity: capacity)
            mappedLength = length
        }

        deinit {
            if mappedLength > 0 { munmap(base, mappedLength) } else { base.deallocate() }
        }
    }

    @usableFromInline var storage: Storage
    /// The number of rows.
    public private(set) var rows: Int
    /// The number of columns (the vectors' dimension).
    public let columns: Int

    /// An empty matrix of `columns` columns with room for `capacity` rows.
    public init(columns: Int, capacity: Int = 0) {
        precondition(columns > 0, "a matrix needs at least one column")
        self.columns = columns
        self.rows = 0
        self.storage = Storage(capacity: capacity * columns)
    }

    /// A matrix of `rows` rows whose elements lie at the start of `region` (`length` bytes, from
    /// `mmap`, e.g. `BinaryFile.mapNext`), which it owns and unmaps; the rest is spare capacity.
    public init(columns: Int, rows: Int, mappedRegion region: UnsafeMutableRawPointer, length: Int) {
        precondition(columns > 0 && rows * columns * MemoryLayout<Element>.stride <= length, "the region is too small")
        self.columns = columns
        self.rows = rows
        self.storage = Storage(mapped: region, length: length)
    }

    /// A matrix from row-major `values` (`values.count` must be a multiple of `columns`).
    public init(columns: Int, values: [Element]) {
        precondition(values.count % columns == 0, "\(values.count) values do not fill rows of \(columns)")
        self.init(columns: columns, capacity: values.count / columns)
        values.withUnsafeBufferPointer { storage.base.initialize(from: $0.baseAddress!, count: values.count) }
        rows = values.count / columns
    }

    /// The number of elements, `rows × columns`.
    public var count: Int { rows * columns }

    /// Rows that fit before the next reallocation.
    public var capacity: Int { storage.capacity / columns }

    /// Bytes allocated for the elements.
    public var allocatedBytes: Int { storage.capacity * MemoryLayout<Element>.stride }

    /// The whole allocation, rows and spare capacity, for memory hints such as
    /// `madvise`. Valid until the matrix next reallocates; do not write through it.
    public var allocation: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base, count: allocatedBytes)
    }

    /// The element at (`row`, `column`).
    @inlinable
    public subscript(row: Int, column: Int) -> Element {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
            return storage.base[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
            makeUnique()
            storage.base[row * columns + column] = newValue
        }
    }

    /// One row as an array.
    public func row(_ index: Int) -> [Element] {
        precondition(index >= 0 && index < rows, "row \(index) out of range 0..<\(rows)")
        return Array(UnsafeBufferPointer(start: storage.base + index * columns, count: columns))
    }

    /// Calls `body` with the elements, row-major.
    @inlinable
    public func withUnsafeBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeBufferPointer(start: storage.base, count: count))
    }

    /// Calls `body` with the mutable elements, row-major.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: count))
    }

    /// Makes room for at least `rows` rows in total.
    public mutating func reserveCapacity(rows wanted: Int) {
        guard wanted * columns > storage.capacity || !isKnownUniquelyReferenced(&storage) else { return }
        reallocate(capacityRows: max(wanted, rows))
    }

    /// Appends one row.
    ///
    /// Inlinable so that callers in other modules get it specialised for their collection:
    /// unspecialised, each element costs a generic witness call (measured: 5,000 rows of
    /// 1536 took 1.5 s through `VectorIndex.upsert(ids:vectors:)`).
    @inlinable
    public mutating func append<C: Collection>(row values: C) where C.Element == Element {
        precondition(values.count == columns, "row of \(values.count) elements in a matrix of \(columns) columns")
        let columns = columns
        appendRows(count: 1) { destination in
            _ = UnsafeMutableBufferPointer(start: destination, count: columns).initialize(from: values)
        }
    }

    /// Appends `count` rows that `initialize` writes (row-major, `count × columns` elements).
    /// If `initialize` throws, the matrix keeps its previous rows.
    public mutating func appendRows<Failure: Error>(
        count newRows: Int,
        _ initialize: (UnsafeMutablePointer<Element>) throws(Failure) -> Void
    ) throws(Failure) {
        let needed = rows + newRows
        if needed * columns > storage.capacity || !isKnownUniquelyReferenced(&storage) {
            let grown = needed * columns > storage.capacity ? max(needed, rows + max(rows / 16, 64)) : capacity
            reallocate(capacityRows: grown)
        }
        try initialize(storage.base + rows * columns)
        rows = needed
    }

    /// Overwrites row `index` with `values` (inlinable for the same reason as ``append(row:)``).
    @inlinable
    public mutating func replaceRow<C: Collection>(_ index: Int, with values: C) where C.Element == Element {
        precondition(index >= 0 && index < rows, "row \(index) out of range 0..<\(rows)")
        precondition(values.count == columns, "row of \(values.count) elements in a matrix of \(columns) columns")
        makeUnique()
        _ = UnsafeMutableBufferPointer(start: storage.base + index * columns, count: columns).update(fromContentsOf: values)
    }

    /// Copies row `source` over row `destination` (both in range).
    public mutating func moveRow(_ source: Int, to destination: Int) {
        precondition(source >= 0 && source < rows && destination >= 0 && destination < rows, "row out of range")
        guard source != destination else { return }
        makeUnique()
        (storage.base + destination * columns).update(from: storage.base + source * columns, count: columns)
    }

    /// Drops the last `count` rows; releases memory when much less than half is used.
    public mutating func removeLast(_ count: Int) {
        precondition(count >= 0 && count <= rows, "cannot remove \(count) of \(rows) rows")
        rows -= count
        if storage.capacity > 2 * max(rows, 64) * columns { reallocate(capacityRows: rows) }
    }

    @usableFromInline
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { reallocate(capacityRows: capacity) }
    }

    private mutating func reallocate(capacityRows: Int) {
        let fresh = Storage(capacity: capacityRows * columns)
        fresh.base.initialize(from: storage.base, count: count)
        storage = fresh
    }
}

extension Matrix: Equatable {
    public static func == (lhs: Matrix, rhs: Matrix) -> Bool {
        lhs.rows == rhs.rows && lhs.columns == rhs.columns
            && lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

extension Matrix where Element == Float {
    /// A float16 copy (values round to the nearest half).
    public func toHalf() -> Matrix<Float16> {
        var half = Matrix<Float16>(columns: columns, capacity: rows)
        withUnsafeBufferPointer { source in
            half.appendRows(count: rows) { destination in
                if let base = source.baseAddress { Float16.convert(base, to: destination, count: source.count) }
            }
        }
        return half
    }
}

import VectorMath

#if canImport(Glibc)
    import Glibc
#endif

/// The snapshot file format, version 2 (all integers little-endian):
///
///     magic      8 bytes  "ONRGVIX\0"
///     version    u32      2
///     dims       u32
///     storage    u32      1 = float32, 2 = float16, 3 = int8 (float32 rows and their codes)
///     reserved   u32      0
///     count      u64      live vectors
///     ids        count × i64
///     padding    zeros up to the next multiple of 4096 bytes (version 2), so the vectors can be mapped
///     vectors    count × dims × element, row-major
///     codes      int8 storage only: count × stride codes (stride = dims rounded up to 64), then
///                count × f32 scales, count × f32 error norms, count × i32 code sums
///     checksum   u64      Checksum64 of everything before it
///
/// Version 1 (the same without the padding and the codes; an int8 index quantises its rows on
/// load) is read too. Version 2's float32 rows are mapped (`mmap`, private) rather than read: the
/// pages are the page cache's until the index writes one, so a load costs the checksum's pass.
/// Only live rows are written, so a loaded index has no tombstones.
extension VectorIndex {
    static let snapshotMagic: [UInt8] = Array("ONRGVIX\0".utf8)
    static let snapshotVersion: UInt32 = 2

    /// Writes the live vectors to `path`, through a temporary file renamed into
    /// place, so a crash never leaves a half-written snapshot under that name.
    ///
    /// - Throws: ``VectorIndexError/Code/io``.
    public func save(to path: String) throws(VectorIndexError) {
        var index = self
        index.compact()
        var header = Self.snapshotMagic
        header.appendLittleEndian(Self.snapshotVersion)
        header.appendLittleEndian(UInt32(dims))
        header.appendLittleEndian(UInt32(Self.storageCodes[configuration.storage]!))
        header.appendLittleEndian(UInt32(0))
        header.appendLittleEndian(UInt64(index.count))
        let temporary = path + ".tmp-\(getpid())"
        do {
            let file = try SnapshotWriter(path: temporary)
            try file.write(header)
            try index.ids.withUnsafeBytes { bytes in Result { () throws(VectorIndexError) in try file.write(bytes) } }.get()
            try file.write([UInt8](repeating: 0, count: Self.padding(rows: index.count)))
            try index.withVectorBytes { bytes in Result { () throws(VectorIndexError) in try file.write(bytes) } }.get()
            if let codes = index.int8 {
                try codes.withStorage { arrays in Result { () throws(VectorIndexError) in for bytes in arrays { try file.write(bytes) } } }.get()
            }
            try file.finishWithChecksum()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VectorIndexError(.io, "cannot move snapshot into place at \(path): \(reason)")
        }
    }

    /// Loads a snapshot written by ``save(to:)``.
    ///
    /// - Parameters:
    ///   - expectedDims: when given, a snapshot of another dimension is an error.
    ///   - configuration: tuning of the loaded index; its storage is the snapshot's.
    /// - Throws: ``VectorIndexError/Code/corruptSnapshot`` for a wrong magic, version,
    ///   dimension, size, duplicate id or checksum; ``VectorIndexError/Code/io`` when
    ///   the file cannot be read.
    public static func load(
        from path: String, expectedDims: Int? = nil,
        configuration: Configuration = Configuration()
    ) throws(VectorIndexError) -> VectorIndex {
        let reader = try SnapshotReader(path: path)
        let header = try reader.bytes(32, "header")
        guard Array(header[0..<8]) == snapshotMagic else {
            throw VectorIndexError(.corruptSnapshot, "\(path) is not a OneRing index snapshot")
        }
        let version = header.littleEndian(at: 8, as: UInt32.self)
        guard version == 1 || version == snapshotVersion else {
            throw VectorIndexError(.corruptSnapshot, "\(path) has snapshot version \(version); this build reads \(snapshotVersion)")
        }
        let dims = Int(header.littleEndian(at: 12, as: UInt32.self))
        let storageCode = header.littleEndian(at: 16, as: UInt32.self)
        let count = header.littleEndian(at: 24, as: UInt64.self)
        guard dims > 0, Self.storageCodes.values.contains(storageCode), count < 1 << 40 else {
            throw VectorIndexError(.corruptSnapshot, "\(path) has a bad header (dims \(dims), storage \(storageCode), count \(count))")
        }
        if let expectedDims, expectedDims != dims {
            throw VectorIndexError(.corruptSnapshot, "\(path) holds \(dims)-dim vectors, expected \(expectedDims)")
        }
        var configuration = configuration
        configuration.storage = Self.storageCodes.first { $0.value == storageCode }!.key
        let rows = Int(count)
        // In checked arithmetic: a crafted header must not overflow into a plausible size.
        let (rowBytes, rowOverflow) = dims.multipliedReportingOverflow(by: configuration.storage.elementSize)
        let (bodyBytes, bodyOverflow) = rows.multipliedReportingOverflow(by: 8 &+ rowBytes)
        // Version 2 of an int8 index: the codes (a stride of dims rounded up to 64 bytes) and 12 bytes a row.
        let codeBytes = version == 2 && configuration.storage == .int8 ? rows.multipliedReportingOverflow(by: (dims + 63) / 64 * 64 &+ 12) : (0, false)
        let (withCodes, codeOverflow) = bodyBytes.addingReportingOverflow(codeBytes.0)
        let padding = version == 2 ? Self.padding(rows: rows) : 0
        let (expectedSize, sizeOverflow) = withCodes.addingReportingOverflow(40 + padding)
        guard !rowOverflow, !bodyOverflow, !codeBytes.1, !codeOverflow, !sizeOverflow else {
            throw VectorIndexError(.corruptSnapshot, "\(path) has a bad header: \(rows) × \(dims) is larger than any file")
        }
        guard reader.size == expectedSize else {
            throw VectorIndexError(.corruptSnapshot, "\(path) is \(reader.size) bytes; a snapshot of \(rows) × \(dims) is \(expectedSize)")
        }
        var index = try VectorIndex(dims: dims, configuration: configuration)
        index.ids = [Int64](repeating: 0, count: rows)
        try index.ids.withUnsafeMutableBytes { bytes in
            Result { () throws(VectorIndexError) in try reader.read(into: bytes, "ids") }
        }.get()
        if padding > 0 { _ = try reader.bytes(padding, "padding") }
        if version == 2, index.float32 != nil {
            // Mapped, with room for a sixteenth more rows (the matrix's own growth margin) before a copy.
            let region = try reader.map(rows * dims * 4, spare: (rows / 16 + 64) * dims * 4, "vectors")
            index.float32 = Matrix(columns: dims, rows: rows, mappedRegion: region.base, length: region.length)
        } else {
            try index.float32?.appendRows(count: rows) { (pointer) throws(VectorIndexError) in
                try reader.read(into: UnsafeMutableRawBufferPointer(start: pointer, count: rows * dims * 4), "vectors")
            }
        }
        try index.float16?.appendRows(count: rows) { (pointer) throws(VectorIndexError) in
            try reader.read(into: UnsafeMutableRawBufferPointer(start: pointer, count: rows * dims * 2), "vectors")
        }
        if index.int8 != nil, let float32 = index.float32 {
            if version == 1 {
                index.int8 = Int8Rows(float32)
            } else {
                do {
                    index.int8 = try Int8Rows(dims: dims, rows: rows) { arrays in
                        for (bytes, what) in zip(arrays, ["codes", "code scales", "code errors", "code sums"]) { try reader.read(into: bytes, what) }
                    }
                } catch {
                    throw error as? VectorIndexError ?? VectorIndexError(.io, "\(error)")
                }
            }
        }
        try reader.verifyChecksum()
        index.rowOfID.reserveCapacity(rows)
        for (row, id) in index.ids.enumerated() {
            guard id != tombstone, index.rowOfID.updateValue(row, forKey: id) == nil else {
                throw VectorIndexError(.corruptSnapshot, "\(path) repeats id \(id) or holds a reserved id")
            }
        }
        return index
    }

    /// Zero bytes after the ids of a version 2 snapshot of `rows` rows: up to a page boundary.
    static func padding(rows: Int) -> Int { (4_096 - (32 + 8 * rows) % 4_096) % 4_096 }

    /// The header's code of each storage.
    static let storageCodes: [Storage: UInt32] = [.float32: 1, .float16: 2, .int8: 3]

    private func withVectorBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let float32 { return float32.withUnsafeBufferPointer { body(UnsafeRawBufferPointer($0)) } }
        return float16!.withUnsafeBufferPointer { body(UnsafeRawBufferPointer($0)) }
    }
}

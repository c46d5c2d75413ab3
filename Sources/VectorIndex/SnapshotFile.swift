internal import Glibc
import VectorMath

/// Writes a snapshot file section by section through a ``BinaryFile``, chaining a
/// ``Checksum64`` over the sections (the index's snapshots, and the engine's other files).
public final class SnapshotWriter {
    private let file: BinaryFile
    /// The checksum of everything written so far.
    public private(set) var checksum: UInt64 = 0

    /// Creates (or truncates) `path`.
    public init(path: String) throws(VectorIndexError) {
        do { file = try BinaryFile(writing: path) } catch { throw VectorIndexError(.io, error.message, underlying: error) }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(VectorIndexError) {
        checksum = Checksum64.of(bytes, seed: checksum)
        do { try file.write(bytes) } catch { throw VectorIndexError(.io, error.message, underlying: error) }
    }

    /// Appends the elements of `array` as they lie in memory, after its count (u64).
    public func write<Element: BitwiseCopyable>(_ array: [Element]) throws(VectorIndexError) {
        var count: [UInt8] = []
        count.appendLittleEndian(UInt64(array.count))
        try write(count)
        try array.withUnsafeBytes { buffer in Result { () throws(VectorIndexError) in try write(buffer) } }.get()
    }

    /// Appends the checksum so far (what ``SnapshotReader/verifyChecksum()`` checks), then flushes to disk.
    public func finishWithChecksum() throws(VectorIndexError) {
        var trailer: [UInt8] = []
        trailer.appendLittleEndian(checksum)
        let written = trailer.withUnsafeBytes { bytes in Result { () throws(VectorMathError) in try file.write(bytes) } }
        do { try written.get() } catch { throw VectorIndexError(.io, error.message, underlying: error) }
        try finish()
    }

    func write(_ bytes: [UInt8]) throws(VectorIndexError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(VectorIndexError) in try write(buffer) } }.get()
    }

    /// Flushes to disk, so that the rename that follows publishes complete data.
    private func finish() throws(VectorIndexError) {
        do { try file.sync() } catch { throw VectorIndexError(.io, error.message, underlying: error) }
    }
}

/// Reads a snapshot file section by section through a ``BinaryFile``, chaining the same
/// checksum as ``SnapshotWriter``.
public final class SnapshotReader {
    private let file: BinaryFile
    /// The file read.
    public let path: String
    /// Its size in bytes.
    public let size: Int
    /// The checksum of everything read so far.
    public private(set) var checksum: UInt64 = 0
    private var offset = 0

    /// Opens `path`.
    public init(path: String) throws(VectorIndexError) {
        do { file = try BinaryFile(reading: path) } catch { throw VectorIndexError(.io, error.message, underlying: error) }
        self.path = path
        size = file.size
    }

    /// Fills `buffer` with the next bytes.
    public func read(into buffer: UnsafeMutableRawBufferPointer, _ what: String) throws(VectorIndexError) {
        guard buffer.count <= size - offset else { throw VectorIndexError(.corruptSnapshot, "\(path) ends inside its \(what)") }
        offset += buffer.count
        if let base = buffer.baseAddress {
            do { try file.read(into: base, count: buffer.count, what: what) } catch {
                throw VectorIndexError(.corruptSnapshot, "\(path) ends inside its \(what)", underlying: error)
            }
        }
        checksum = Checksum64.of(UnsafeRawBufferPointer(buffer), seed: checksum)
    }

    /// Maps the next `count` bytes (they must start on a page boundary) into a private region
    /// with `spare` bytes after them (see `BinaryFile.mapNext`), checksummed like a read; the
    /// caller owns the region.
    public func map(_ count: Int, spare: Int, _ what: String) throws(VectorIndexError) -> (base: UnsafeMutableRawPointer, length: Int) {
        guard count <= size - offset else { throw VectorIndexError(.corruptSnapshot, "\(path) ends inside its \(what)") }
        let region: (base: UnsafeMutableRawPointer, length: Int)
        do { region = try file.mapNext(count: count, spare: spare, what: what) } catch {
            throw VectorIndexError(.corruptSnapshot, "\(path): \(error.message)", underlying: error)
        }
        offset += count
        checksum = Checksum64.of(UnsafeRawBufferPointer(start: region.base, count: count), seed: checksum)
        return region
    }

    /// The next array written by ``SnapshotWriter/write(_:)-(Array<Element>)``: its count, then its
    /// elements; a count the rest of the file cannot hold is a corrupt snapshot.
    public func array<Element: BitwiseCopyable>(of _: Element.Type, _ what: String) throws(VectorIndexError) -> [Element] {
        let count = try bytes(8, what).littleEndian(at: 0, as: UInt64.self)
        let stride = MemoryLayout<Element>.stride
        guard count <= UInt64((size - offset) / max(stride, 1)) else {
            throw VectorIndexError(.corruptSnapshot, "\(path) claims \(count) \(what), more than the file holds")
        }
        let elements = Int(count)
        return try [Element](unsafeUninitializedCapacity: elements) { (buffer, initialized) throws(VectorIndexError) in
            Self.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            try read(into: UnsafeMutableRawBufferPointer(buffer), what)
            initialized = elements
        }
    }

    /// Asks for transparent huge pages over the 2 MiB pages wholly inside `buffer`, before its
    /// pages are first touched (where the kernel's setting is `madvise`, as here, a region gets
    /// them only on request). The post index's arrays are read at random, a few hundred
    /// authors' posts a query: with 4 KiB pages most of those reads also missed the TLB.
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        let huge = 2 << 20
        guard let base = buffer.baseAddress, buffer.count >= 2 * huge else { return }
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, MADV_HUGEPAGE)
    }

    /// Reads the trailing checksum and compares it with the one computed; a mismatch, or bytes
    /// after it, is a corrupt snapshot.
    public func verifyChecksum() throws(VectorIndexError) {
        let computed = checksum
        let stored = try bytes(8, "checksum").littleEndian(at: 0, as: UInt64.self)
        guard computed == stored, offset == size else {
            throw VectorIndexError(.corruptSnapshot, "\(path) fails its checksum: the file is corrupt")
        }
    }

    func bytes(_ count: Int, _ what: String) throws(VectorIndexError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { buffer in Result { () throws(VectorIndexError) in try read(into: buffer, what) } }.get()
        return bytes
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func littleEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

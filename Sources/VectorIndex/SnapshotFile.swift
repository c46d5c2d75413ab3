import VectorMath

/// Writes a snapshot file section by section through a ``BinaryFile``, chaining a
/// ``Checksum64`` over the sections.
final class SnapshotWriter {
    private let file: BinaryFile
    private(set) var checksum: UInt64 = 0

    init(path: String) throws(VectorIndexError) {
        do { file = try BinaryFile(writing: path) } catch { throw VectorIndexError(.io, error.message, underlying: error) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(VectorIndexError) {
        checksum = Checksum64.of(bytes, seed: checksum)
        do { try file.write(bytes) } catch { throw VectorIndexError(.io, error.message, underlying: error) }
    }

    func write(_ bytes: [UInt8]) throws(VectorIndexError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(VectorIndexError) in try write(buffer) } }.get()
    }

    /// Flushes to disk, so that the rename that follows publishes complete data.
    func finish() throws(VectorIndexError) {
        do { try file.sync() } catch { throw VectorIndexError(.io, error.message, underlying: error) }
    }
}

/// Reads a snapshot file section by section through a ``BinaryFile``, chaining the same
/// checksum as ``SnapshotWriter``.
final class SnapshotReader {
    private let file: BinaryFile
    let path: String
    let size: Int
    private(set) var checksum: UInt64 = 0

    init(path: String) throws(VectorIndexError) {
        do { file = try BinaryFile(reading: path) } catch { throw VectorIndexError(.io, error.message, underlying: error) }
        self.path = path
        size = file.size
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, _ what: String) throws(VectorIndexError) {
        if let base = buffer.baseAddress {
            do { try file.read(into: base, count: buffer.count, what: what) } catch {
                throw VectorIndexError(.corruptSnapshot, "\(path) ends inside its \(what)", underlying: error)
            }
        }
        checksum = Checksum64.of(UnsafeRawBufferPointer(buffer), seed: checksum)
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

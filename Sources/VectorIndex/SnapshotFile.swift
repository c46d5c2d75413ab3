#if canImport(Glibc)
import Glibc
#endif
import VectorMath

/// Writes a snapshot file section by section, chaining a ``Checksum64`` over the sections.
final class SnapshotWriter {
    let path: String
    private let handle: UnsafeMutablePointer<FILE>
    private(set) var checksum: UInt64 = 0

    init(path: String) throws(VectorIndexError) {
        guard let handle = fopen(path, "wb") else {
            throw VectorIndexError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.handle = handle
    }

    deinit { fclose(handle) }

    func write(_ bytes: UnsafeRawBufferPointer) throws(VectorIndexError) {
        checksum = Checksum64.of(bytes, seed: checksum)
        guard bytes.isEmpty || fwrite(bytes.baseAddress!, 1, bytes.count, handle) == bytes.count else {
            throw VectorIndexError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: [UInt8]) throws(VectorIndexError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(VectorIndexError) in try write(buffer) } }.get()
    }

    /// Flushes to disk, so that the rename that follows publishes complete data.
    func finish() throws(VectorIndexError) {
        guard fflush(handle) == 0, fsync(fileno(handle)) == 0 else {
            throw VectorIndexError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads a snapshot file section by section, chaining the same checksum as ``SnapshotWriter``.
final class SnapshotReader {
    let path: String
    let size: Int
    private let handle: UnsafeMutablePointer<FILE>
    private(set) var checksum: UInt64 = 0

    init(path: String) throws(VectorIndexError) {
        guard let handle = fopen(path, "rb") else {
            throw VectorIndexError(.io, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        fstat(fileno(handle), &info)
        self.path = path
        self.handle = handle
        self.size = Int(info.st_size)
    }

    deinit { fclose(handle) }

    func read(into buffer: UnsafeMutableRawBufferPointer, _ what: String) throws(VectorIndexError) {
        guard buffer.isEmpty || fread(buffer.baseAddress!, 1, buffer.count, handle) == buffer.count else {
            throw VectorIndexError(.corruptSnapshot, "\(path) ends inside its \(what)")
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

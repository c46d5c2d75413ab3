#if canImport(Glibc)
    import Glibc
#endif

/// A buffered file opened for reading or writing, with errors that name the file: the one
/// file wrapper of the package (`.npy`, `.fvecs`, index snapshots).
public struct BinaryFile: ~Copyable {
    /// The file's path, as errors name it.
    public let path: String
    private let handle: UnsafeMutablePointer<FILE>

    /// Opens `path` for reading.
    public init(reading path: String) throws(VectorMathError) {
        guard let handle = fopen(path, "rb") else {
            throw VectorMathError(.io, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.handle = handle
    }

    /// Creates (or truncates) `path` for writing.
    public init(writing path: String) throws(VectorMathError) {
        guard let handle = fopen(path, "wb") else {
            throw VectorMathError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.handle = handle
    }

    deinit { fclose(handle) }

    /// The file's size in bytes.
    public var size: Int {
        var info = stat()
        return fstat(fileno(handle), &info) == 0 ? Int(info.st_size) : 0
    }

    /// Reads exactly `count` bytes; `what` names them in the error.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int, what: @autoclosure () -> String) throws(VectorMathError) {
        guard count > 0 else { return }
        let got = fread(buffer, 1, count, handle)
        guard got == count else {
            throw VectorMathError(.malformedFile, "\(path) ends early: \(what()) needs \(count) bytes, \(got) left")
        }
    }

    /// Reads exactly `count` bytes into a new array.
    public func readBytes(_ count: Int, what: @autoclosure () -> String) throws(VectorMathError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress!, 1, count, handle) }
        guard got == count else {
            throw VectorMathError(.malformedFile, "\(path) ends early: \(what()) needs \(count) bytes, \(got) left")
        }
        return bytes
    }

    /// Reads one little-endian fixed-width integer.
    public func readInteger<T: FixedWidthInteger>(_: T.Type, what: @autoclosure () -> String) throws(VectorMathError) -> T {
        let bytes = try readBytes(MemoryLayout<T>.size, what: what())
        return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool {
        let c = getc(handle)
        if c == EOF { return true }
        ungetc(c, handle)
        return false
    }

    /// Maps the next `count` bytes of the file (which must start on a page boundary) into a
    /// private, writable region of `count + spare` bytes rounded up to whole pages (the spare
    /// part anonymous and zeroed), then moves past them. The file's pages are shared with the
    /// page cache until written (copy on write): nothing is copied or zeroed up front. The
    /// caller owns the region and unmaps it (`munmap`).
    ///
    /// - Throws: `.malformedFile` when the position is not page-aligned or the file ends early; `.io` when mapping fails.
    public func mapNext(count: Int, spare: Int, what: @autoclosure () -> String) throws(VectorMathError) -> (base: UnsafeMutableRawPointer, length: Int) {
        let position = Int(ftello(handle))
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard position % page == 0 else { throw VectorMathError(.malformedFile, "\(path): \(what()) does not start on a page boundary") }
        guard count <= size - position else { throw VectorMathError(.malformedFile, "\(path) ends early: \(what()) needs \(count) bytes") }
        let length = max(page, (count + spare + page - 1) / page * page)
        guard let region = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != MAP_FAILED else {
            throw VectorMathError(.io, "cannot map \(length) bytes for \(what()) of \(path): \(String(cString: strerror(errno)))")
        }
        if count > 0 {
            // Over the start of the anonymous region; the last page may run past the section (never past the file's end page).
            let fileLength = (count + page - 1) / page * page
            guard mmap(region, fileLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fileno(handle), off_t(position)) != MAP_FAILED else {
                let reason = String(cString: strerror(errno))
                munmap(region, length)
                throw VectorMathError(.io, "cannot map \(what()) of \(path): \(reason)")
            }
        }
        guard fseeko(handle, off_t(position + count), SEEK_SET) == 0 else {
            munmap(region, length)
            throw VectorMathError(.io, "cannot seek past \(what()) of \(path)")
        }
        return (region, length)
    }

    /// Writes all of `buffer`.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(VectorMathError) {
        guard buffer.count > 0 else { return }
        guard fwrite(buffer.baseAddress!, 1, buffer.count, handle) == buffer.count else {
            throw VectorMathError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Flushes buffered bytes and the file's data to disk.
    public func sync() throws(VectorMathError) {
        guard fflush(handle) == 0, fsync(fileno(handle)) == 0 else {
            throw VectorMathError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// The `.fvecs` format of the TEXMEX corpora (SIFT, GIST): each vector is a
/// little-endian int32 dimension followed by that many float32 values.
public enum FVecsFile {
    /// Reads every vector; all must have the same dimension.
    ///
    /// - Throws: ``VectorMathError/Code/malformedFile`` for a non-positive or changing
    ///   dimension or a truncated record; ``VectorMathError/Code/io`` when unreadable.
    public static func readMatrix(_ path: String) throws(VectorMathError) -> Matrix<Float> {
        let file = try BinaryFile(reading: path)
        let size = file.size
        guard size > 0 else { throw VectorMathError(.malformedFile, "\(path) is empty") }
        let dims = Int(try file.readInteger(Int32.self, what: "the first dimension"))
        guard dims > 0, dims <= 1 << 20 else {
            throw VectorMathError(.malformedFile, "\(path): first vector has dimension \(dims)")
        }
        let record = 4 + 4 * dims
        guard size % record == 0 else {
            throw VectorMathError(.malformedFile, "\(path): \(size) bytes is not a whole number of \(dims)-dim records")
        }
        let rows = size / record
        var matrix = Matrix<Float>(columns: dims, capacity: rows)
        try matrix.appendRows(count: rows) { (destination) throws(VectorMathError) in
            for r in 0..<rows {
                if r > 0 {
                    let d = Int(try file.readInteger(Int32.self, what: "the dimension of vector \(r)"))
                    guard d == dims else {
                        throw VectorMathError(.malformedFile, "\(path): vector \(r) has dimension \(d), expected \(dims)")
                    }
                }
                try file.read(into: destination + r * dims, count: 4 * dims, what: "vector \(r)")
            }
        }
        return matrix
    }
}

/// NumPy's `.npy` format (versions 1–3): a magic string, a Python-literal header
/// naming dtype, order and shape, then the raw array.
///
/// Reads 2-D little-endian float32 (`<f4`) in C order; writes float32 and int64.
public enum NPYFile {
    /// Reads a 2-D float32 array as a matrix.
    ///
    /// - Throws: ``VectorMathError/Code/malformedFile`` for a bad magic, header, dtype,
    ///   order, shape, or a body shorter or longer than the shape; ``VectorMathError/Code/io``
    ///   when the file cannot be opened.
    public static func readMatrix(_ path: String) throws(VectorMathError) -> Matrix<Float> {
        let file = try BinaryFile(reading: path)
        let header = try readHeader(file)
        guard header.descr == "<f4" || header.descr == "=f4" else {
            throw VectorMathError(.malformedFile, "\(path): dtype \(header.descr) is not little-endian float32 ('<f4')")
        }
        guard !header.fortranOrder else {
            throw VectorMathError(.malformedFile, "\(path): Fortran-ordered arrays are not supported; save with C order")
        }
        guard header.shape.count == 2, header.shape[0] >= 0, header.shape[1] > 0 else {
            throw VectorMathError(.malformedFile, "\(path): shape \(header.shape) is not a 2-D array (rows, dims) with dims > 0")
        }
        let (rows, columns) = (header.shape[0], header.shape[1])
        let (rowBytes, rowOverflow) = columns.multipliedReportingOverflow(by: 4)
        let (bytes, overflow) = rows.multipliedReportingOverflow(by: rowBytes)
        guard !rowOverflow, !overflow, bytes <= file.size - header.dataOffset else {
            throw VectorMathError(.malformedFile, "\(path): shape (\(rows), \(columns)) needs more data than the file holds")
        }
        var matrix = Matrix<Float>(columns: columns, capacity: rows)
        try matrix.appendRows(count: rows) { (destination) throws(VectorMathError) in
            try file.read(into: destination, count: bytes, what: "the array body")
        }
        guard file.isAtEnd else {
            throw VectorMathError(.malformedFile, "\(path): trailing bytes after a (\(rows), \(columns)) array")
        }
        return matrix
    }

    /// Writes a 2-D float32 array.
    public static func write(_ matrix: Matrix<Float>, to path: String) throws(VectorMathError) {
        try matrix.withUnsafeBufferPointer { (values) throws(VectorMathError) in
            try write(UnsafeRawBufferPointer(values), descr: "<f4", shape: (matrix.rows, matrix.columns), to: path)
        }
    }

    /// Writes a 2-D int64 array of `rows × columns` row-major values.
    public static func write(int64 values: [Int64], rows: Int, columns: Int, to path: String) throws(VectorMathError) {
        precondition(values.count == rows * columns, "\(values.count) values for a \(rows) × \(columns) array")
        try values.withUnsafeBytes { bytes in
            Result { () throws(VectorMathError) in try write(bytes, descr: "<i8", shape: (rows, columns), to: path) }
        }.get()
    }

    private static func write(_ body: UnsafeRawBufferPointer, descr: String, shape: (Int, Int), to path: String) throws(VectorMathError) {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(shape.0), \(shape.1)), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var prefix: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        prefix += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        prefix += Array(header.utf8)
        let file = try BinaryFile(writing: path)
        try prefix.withUnsafeBytes { bytes in Result { () throws(VectorMathError) in try file.write(bytes) } }.get()
        try file.write(body)
        try file.sync()
    }

    struct Header {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
        var dataOffset: Int
    }

    static func readHeader(_ file: borrowing BinaryFile) throws(VectorMathError) -> Header {
        let path = file.path
        let magic = try file.readBytes(8, what: "the .npy magic")
        guard magic[0] == 0x93, Array(magic[1..<6]) == Array("NUMPY".utf8), (1...3).contains(magic[6]) else {
            throw VectorMathError(.malformedFile, "\(path) is not a .npy file (bad magic or version)")
        }
        let length =
            magic[6] == 1
            ? Int(try file.readInteger(UInt16.self, what: "the header length"))
            : Int(try file.readInteger(UInt32.self, what: "the header length"))
        guard length < 1 << 20 else { throw VectorMathError(.malformedFile, "\(path): header length \(length) is implausible") }
        let bytes = try file.readBytes(length, what: "the header")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VectorMathError(.malformedFile, "\(path): header is not text")
        }
        func value(of key: String) throws(VectorMathError) -> Substring {
            guard let range = text.range(of: "'\(key)':") else {
                throw VectorMathError(.malformedFile, "\(path): header has no '\(key)'")
            }
            return text[range.upperBound...].drop(while: { $0 == " " })
        }
        let descrField = try value(of: "descr")
        guard descrField.first == "'", let end = descrField.dropFirst().firstIndex(of: "'") else {
            throw VectorMathError(.malformedFile, "\(path): header 'descr' is not a string")
        }
        let descr = String(descrField[descrField.index(after: descrField.startIndex)..<end])
        let fortranOrder = try value(of: "fortran_order").hasPrefix("True")
        let shapeField = try value(of: "shape")
        guard shapeField.first == "(", let close = shapeField.firstIndex(of: ")") else {
            throw VectorMathError(.malformedFile, "\(path): header 'shape' is not a tuple")
        }
        var shape: [Int] = []
        for part in shapeField[shapeField.index(after: shapeField.startIndex)..<close].split(separator: ",") {
            let trimmed = part.trimmingPrefix(" ").split(separator: " ").first ?? ""
            guard let n = Int(trimmed), n >= 0 else {
                throw VectorMathError(.malformedFile, "\(path): header 'shape' has a bad dimension '\(part)'")
            }
            shape.append(n)
        }
        let prefixLength = magic[6] == 1 ? 10 : 12
        return Header(descr: descr, fortranOrder: fortranOrder, shape: shape, dataOffset: prefixLength + length)
    }
}

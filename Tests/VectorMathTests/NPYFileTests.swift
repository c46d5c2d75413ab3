import Foundation
import Testing
import VectorMath

@Suite struct NPYFileTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "onering-npy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @Test func float32RoundTripsExactly() throws {
        let matrix = SyntheticVectors(dims: 7, seed: 3).generate(count: 11)
        let path = directory + "/m.npy"
        try NPYFile.write(matrix, to: path)
        #expect(try NPYFile.readMatrix(path) == matrix)
    }

    @Test func int64IsWrittenInNumPysLayout() throws {
        let path = directory + "/ids.npy"
        try NPYFile.write(int64: [1, 2, 3, 4, 5, 6], rows: 2, columns: 3, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerEnd = 10 + Int(data[8]) + Int(data[9]) << 8
        #expect(headerEnd % 64 == 0 && data.count == headerEnd + 48)
        let header = String(decoding: data[10..<headerEnd], as: UTF8.self)
        #expect(header.contains("'descr': '<i8'") && header.contains("'shape': (2, 3)"))
    }

    @Test(arguments: ["magic", "dtype", "truncated", "trailing", "shape", "fortran"])
    func malformedFilesAreErrors(defect: String) throws {
        let good = directory + "/good.npy"
        try NPYFile.write(Matrix<Float>(columns: 2, values: [1, 2, 3, 4]), to: good)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        let headerEnd = 10 + Int(bytes[8]) + Int(bytes[9]) << 8
        func replace(_ old: String, _ new: String) {
            let text = String(decoding: bytes[10..<headerEnd], as: UTF8.self).replacingOccurrences(of: old, with: new)
            bytes.replaceSubrange(10..<headerEnd, with: Array(text.utf8))
        }
        switch defect {
        case "magic": bytes[1] = UInt8(ascii: "X")
        case "dtype": replace("<f4", "<f8")
        case "truncated": bytes.removeLast(3)
        case "trailing": bytes += [0, 0, 0, 0]
        case "shape": replace("(2, 2)", "(2, x)")
        default: replace("False", "True ")
        }
        let path = directory + "/\(defect).npy"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { try NPYFile.readMatrix(path) } throws: { ($0 as? VectorMathError)?.code == .malformedFile }
    }

    @Test func fvecsReadsAndRejectsMixedDimensions() throws {
        var bytes: [UInt8] = []
        func append(_ vector: [Float]) {
            withUnsafeBytes(of: Int32(vector.count).littleEndian) { bytes += $0 }
            for x in vector { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
        }
        append([1, 2, 3])
        append([4, 5, 6])
        let path = directory + "/v.fvecs"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try FVecsFile.readMatrix(path) == Matrix(columns: 3, values: [1, 2, 3, 4, 5, 6]))
        bytes.removeAll()
        append([1, 2, 3])
        append([4, 5])
        append([6])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { try FVecsFile.readMatrix(path) } throws: { ($0 as? VectorMathError)?.code == .malformedFile }
    }

    @Test func missingFileIsAnIOError() {
        #expect { try NPYFile.readMatrix(directory + "/absent.npy") } throws: { ($0 as? VectorMathError)?.code == .io }
    }

    @Test("a shape whose byte count overflows is a malformed file, not a crash")
    func overflowingShape() throws {
        let path = NSTemporaryDirectory() + "onering-npy-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 9223372036854775807), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: [UInt8](repeating: 0, count: 16))
        try data.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: VectorMathError.self) { try NPYFile.readMatrix(path) }
        #expect(error?.code == .malformedFile)
    }
}

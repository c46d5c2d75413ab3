import Testing
import VectorMath

@Suite("Sparse int8 codes of post vectors")
struct SparseCodeTests {
    @Test("a sparse vector keeps every component: bytes round-trip, dot products within int8 rounding")
    func roundTrip() throws {
        var vector = [Float](repeating: 0, count: 1536)
        for (index, dimension) in [3, 77, 512, 1535].enumerated() { vector[dimension] = [0.5, -0.5, 0.7, 0.1][index] }
        let code = vector.withUnsafeBufferPointer { SparseCode($0) }
        #expect(code.dimensions == [3, 77, 512, 1535])
        let decoded = try SparseCode(bytes: code.bytes)
        #expect(decoded == code)
        let query = (0..<1536).map { Float($0 % 7) / 7 - 0.4 }
        let exact = zip(vector, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        #expect(abs(query.withUnsafeBufferPointer { code.dot($0) } - exact) < 0.01)
    }

    @Test("a dense vector keeps its largest components; bytes no code writes are refused")
    func denseAndMalformed() throws {
        let vector = (0..<300).map { Float($0 + 1) }
        let code = vector.withUnsafeBufferPointer { SparseCode($0) }
        #expect(code.dimensions.count == SparseCode.maximumComponents)
        #expect(code.dimensions.first == UInt16(300 - SparseCode.maximumComponents))
        #expect(throws: VectorMathError.self) { try SparseCode(bytes: [1, 0, 0, 0]) }
        #expect(throws: VectorMathError.self) { try SparseCode(bytes: [200, 0, 0, 0, 128, 63] + [UInt8](repeating: 0, count: 600)) }
        #expect(throws: VectorMathError.self) { try SparseCode(bytes: [0, 0, 0, 0, 0, 0]) }
    }
}

@Suite("Projected int8 codes of dense post vectors")
struct ProjectedCodeTests {
    @Test("bytes round-trip, values within one int8 step, and a projected code is never read as a sparse one")
    func roundTrip() throws {
        let coordinates: [Float] = (0..<300).map { Float(($0 * 37) % 101) / 50 - 1 }
        let code = coordinates.withUnsafeBufferPointer { ProjectedCode($0) }
        let decoded = try ProjectedCode(bytes: code.bytes)
        #expect(decoded == code)
        #expect(code.bytes.count == 308)
        for (value, coordinate) in zip(decoded.values, coordinates) { #expect(abs(Float(value) * decoded.scale - coordinate) <= decoded.scale / 2 + 1e-6) }
        #expect(throws: VectorMathError.self) { try SparseCode(bytes: code.bytes) }
        #expect(throws: VectorMathError.self) { try ProjectedCode(bytes: Array(code.bytes.dropLast())) }
    }
}

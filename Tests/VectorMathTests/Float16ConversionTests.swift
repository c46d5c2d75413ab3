import Testing
import VectorMath

@Suite("float32 to float16 conversion")
struct Float16ConversionTests {
    @Test("the hardware conversion rounds exactly like Float16(_:), edge values included", arguments: [1, 7, 16, 33, 1536])
    func matchesSwift(count: Int) {
        var random = SplitMix64(seed: UInt64(count))
        var values = (0..<count).map { _ in (random.nextFloat() - 0.5) * 4 }
        let edges: [Float] = [0, -0.0, 65504, 65520, -65520, 1e-8, 6.0e-8, 5.96e-8, 1e-5, .infinity, -.infinity, 1.0009765, 0.33333334]
        for (i, edge) in edges.enumerated() where i < count { values[i] = edge }
        var converted = [Float16](repeating: 0, count: count)
        values.withUnsafeBufferPointer { source in
            converted.withUnsafeMutableBufferPointer { Float16.convert(source.baseAddress!, to: $0.baseAddress!, count: count) }
        }
        #expect(converted.map(\.bitPattern) == values.map { Float16($0).bitPattern })
    }
}

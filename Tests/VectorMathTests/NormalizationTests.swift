import Testing
import VectorMath

@Suite struct NormalizationTests {
    @Test func rowsBecomeUnitLength() throws {
        var matrix = Matrix<Float>(columns: 3, values: [3, 4, 0, 0, 0, -2, 1, 1, 1])
        try matrix.normalizeRows()
        for r in 0..<3 {
            let norm = matrix.row(r).reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-6)
        }
        #expect(matrix.row(0) == [0.6, 0.8, 0])
    }

    @Test(arguments: [
        ([1, Float.nan, 0], VectorMathError.Code.nonFiniteValue),
        ([Float.infinity, 0, 0], .nonFiniteValue),
        ([0, 0, 0], .zeroVector),
    ])
    func badRowsAreRejectedAndNothingChanges(row: [Float], code: VectorMathError.Code) {
        var matrix = Matrix<Float>(columns: 3, values: [2, 0, 0] + row)
        let before = matrix
        #expect { try matrix.normalizeRows() } throws: { ($0 as? VectorMathError)?.code == code }
        let bits = { (m: Matrix<Float>) in m.withUnsafeBufferPointer { $0.map(\.bitPattern) } }
        #expect(bits(matrix) == bits(before))
        #expect { try UnitVector.normalized(row) } throws: { ($0 as? VectorMathError)?.code == code }
    }

    @Test func matrixGrowthKeepsRowsAndStaysTight() {
        var matrix = Matrix<Float>(columns: 4)
        for i in 0..<5000 { matrix.append(row: [Float(i), 1, 2, 3]) }
        #expect(matrix.rows == 5000)
        #expect(matrix.row(4321) == [4321, 1, 2, 3])
        #expect(Double(matrix.capacity) <= 1.07 * 5000 + 64)
        let copy = matrix
        matrix.replaceRow(0, with: [9, 9, 9, 9])
        #expect(copy.row(0) == [0, 1, 2, 3])
    }
}

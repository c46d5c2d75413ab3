import Testing
import VectorMath

@Suite struct PCATests {
    @Test func recoversAKnownDecomposition() throws {
        let backend = try BLASBackend.shared()
        // Orthonormal axes: two rotated pairs of coordinate axes in 6 dimensions.
        let s = Float(0.5).squareRoot()
        let axes: [[Float]] = [[s, s, 0, 0, 0, 0], [0, 0, s, -s, 0, 0], [-s, s, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0]]
        let deviations: [Float] = [6, 3, 1, 0.5]
        var random = SplitMix64(seed: 12)
        var data = Matrix<Float>(columns: 6, capacity: 20_000)
        let offset: [Float] = [1, 2, 3, 4, 5, 6]
        for _ in 0..<20_000 {
            var row = offset
            for (axis, deviation) in zip(axes, deviations) {
                let t = deviation * random.nextGaussian()
                for j in 0..<6 { row[j] += t * axis[j] }
            }
            data.append(row: row)
        }
        let pca = try PCA.fit(data, parameters: .init(components: 3, sampleSize: nil), backend: backend)
        for (component, axis) in zip(0..<3, axes) {
            let dot = zip(pca.components.row(component), axis).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(abs(abs(dot) - 1) < 1e-3, "component \(component)")
        }
        let total = deviations.reduce(0) { $0 + $1 * $1 }
        for (ratio, deviation) in zip(pca.explainedVarianceRatio, deviations) {
            #expect(abs(ratio - deviation * deviation / total) < 0.01)
        }
        for (mean, expected) in zip(pca.mean, offset) { #expect(abs(mean - expected) < 0.1) }

        let projected = pca.project(data, backend: backend)
        #expect(projected.rows == 20_000 && projected.columns == 3)
        let row = data.row(7)
        for c in 0..<3 {
            let expected = zip(zip(row, pca.mean).map { $0 - $1 }, pca.components.row(c)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(abs(projected[7, c] - expected) < 1e-3)
        }
    }

    @Test func badInputIsAClearError() throws {
        let backend = try BLASBackend.shared()
        let data = SyntheticVectors(dims: 4, seed: 1).generate(count: 10)
        #expect { try PCA.fit(data, parameters: .init(components: 5), backend: backend) } throws: { ($0 as? VectorMathError)?.code == .invalidArgument }
        #expect { try PCA.fit(Matrix(columns: 4, values: [1, 2, 3, 4]), backend: backend) } throws: { ($0 as? VectorMathError)?.code == .invalidArgument }
        var withNaN = data
        withNaN[0, 0] = .infinity
        #expect { try PCA.fit(withNaN, backend: backend) } throws: { ($0 as? VectorMathError)?.code == .nonFiniteValue }
    }
}

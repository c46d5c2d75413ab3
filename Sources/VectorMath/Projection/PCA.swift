/// Principal component analysis: the directions of largest variance of a set of
/// rows, from the eigen-decomposition (LAPACK `ssyevd`) of the covariance of a
/// seeded sample. Used to draw the cohort map in 2-D.
public struct PCA: Sendable {
    /// Inputs of a fit.
    public struct Parameters: Sendable {
        /// Components to keep, 1 ≤ components ≤ d. Default 2.
        public var components: Int
        /// Rows the covariance is estimated from (a seeded sample); nil for all. Default 20,000.
        public var sampleSize: Int?
        /// Seed of the sample. Default 1.
        public var seed: UInt64

        /// Parameters with the documented defaults.
        public init(components: Int = 2, sampleSize: Int? = 20_000, seed: UInt64 = 1) {
            self.components = components
            self.sampleSize = sampleSize
            self.seed = seed
        }
    }

    /// The mean row that projections subtract, d values.
    public let mean: [Float]
    /// Principal axes as unit rows, components × d, by decreasing variance (each
    /// axis's sign is chosen so that its largest component is positive).
    public let components: Matrix<Float>
    /// Variance along each axis.
    public let explainedVariance: [Float]
    /// Each axis's share of the total variance.
    public let explainedVarianceRatio: [Float]

    /// Fits the principal axes of the rows of `data` (n × d).
    ///
    /// - Throws: ``VectorMathError/Code/invalidArgument`` for fewer than two rows or a
    ///   component count outside 1…d; ``VectorMathError/Code/nonFiniteValue`` for NaN
    ///   or ∞; LAPACK failures.
    /// - Complexity: 2·s·d² for the covariance of s sampled rows, plus O(d³) for the
    ///   eigen-decomposition.
    public static func fit(_ data: Matrix<Float>, parameters: Parameters = Parameters(), backend: BLASBackend) throws(VectorMathError) -> PCA {
        let d = data.columns
        guard data.rows >= 2 else { throw VectorMathError(.invalidArgument, "PCA needs at least two rows, got \(data.rows)") }
        guard (1...d).contains(parameters.components) else {
            throw VectorMathError(.invalidArgument, "components must be in 1…\(d), got \(parameters.components)")
        }
        guard data.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
            throw VectorMathError(.nonFiniteValue, "the data contain NaN or ∞")
        }
        var random = SplitMix64(seed: parameters.seed)
        let points = KMeans.Points(matrix: data, squaredNorms: [Float](repeating: 0, count: data.rows))
            .sample(max(2, parameters.sampleSize ?? data.rows), using: &random).matrix
        let s = points.rows

        var mean = [Double](repeating: 0, count: d)
        points.withUnsafeBufferPointer { x in
            for r in 0..<s { for j in 0..<d { mean[j] += Double(x[r * d + j]) } }
        }
        let mean32 = mean.map { Float($0 / Double(s)) }
        var centred = points
        centred.withUnsafeMutableBufferPointer { x in
            for r in 0..<s { for j in 0..<d { x[r * d + j] -= mean32[j] } }
        }
        var covariance = [Float](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { x in
            backend.multiplyTransposedLeft(
                m: d, n: d, k: s, a: x.baseAddress!, lda: d, b: x.baseAddress!, ldb: d,
                c: &covariance, ldc: d)
        }
        let scale = 1 / Float(s - 1)
        for i in covariance.indices { covariance[i] *= scale }
        let eigenvalues = try covariance.withUnsafeMutableBufferPointer { (matrix) throws(VectorMathError) in
            try backend.symmetricEigen(n: d, matrix: matrix.baseAddress!)
        }
        // ssyevd returns ascending eigenvalues and eigenvectors as columns.
        let total = eigenvalues.reduce(0) { $0 + max(0, $1) }
        var axes = Matrix<Float>(columns: d, capacity: parameters.components)
        var variances: [Float] = []
        for rank in 0..<parameters.components {
            let column = d - 1 - rank
            var axis = (0..<d).map { covariance[$0 * d + column] }
            if let largest = axis.max(by: { abs($0) < abs($1) }), largest < 0 { axis = axis.map { -$0 } }
            axes.append(row: axis)
            variances.append(max(0, eigenvalues[column]))
        }
        return PCA(
            mean: mean32, components: axes, explainedVariance: variances,
            explainedVarianceRatio: variances.map { total > 0 ? $0 / total : 0 })
    }

    /// The coordinates of each row of `data` along the axes: `(x − mean) · componentsᵀ`,
    /// n × components.
    public func project(_ data: Matrix<Float>, backend: BLASBackend) -> Matrix<Float> {
        precondition(data.columns == mean.count, "rows of dimension \(data.columns), PCA of \(mean.count)")
        var centred = data
        let d = mean.count
        centred.withUnsafeMutableBufferPointer { x in
            for r in 0..<data.rows { for j in 0..<d { x[r * d + j] -= mean[j] } }
        }
        var output = Matrix<Float>(columns: components.rows, capacity: data.rows)
        centred.withUnsafeBufferPointer { x in
            components.withUnsafeBufferPointer { axes in
                output.appendRows(count: data.rows) { out in
                    backend.multiplyTransposed(
                        m: data.rows, n: components.rows, k: d, a: x.baseAddress!, lda: d,
                        b: axes.baseAddress!, ldb: d, c: out, ldc: components.rows)
                }
            }
        }
        return output
    }
}

extension PCA {
    /// Axes fitted before (stored): `components` is k × d, unit rows; `mean` has d values.
    public init(mean: [Float], components: Matrix<Float>) {
        precondition(components.columns == mean.count, "axes of dimension \(components.columns), a mean of \(mean.count)")
        self.init(mean: mean, components: components, explainedVariance: [], explainedVarianceRatio: [])
    }
}

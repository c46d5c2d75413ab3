/// The Cholesky factor L of a symmetric positive definite matrix A = L Lᵀ, in double precision,
/// for the strategy model's small normal equations (tens of unknowns).
///
/// Written by hand: the systems are tiny, LAPACK is loaded for float32 eigenproblems only, and
/// forty lines of textbook Cholesky are easier to read than a second dynamic binding.
struct CholeskyFactor {
    private let n: Int
    /// Row-major lower triangle.
    private var lower: [Double]

    /// Factors the row-major `n × n` matrix `matrix`, or nil when it is not positive definite.
    init?(_ matrix: [Double], n: Int) {
        precondition(matrix.count == n * n, "a \(n) × \(n) matrix needs \(n * n) values")
        self.n = n
        lower = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = matrix[i * n + j]
                for k in 0..<j { sum -= lower[i * n + k] * lower[j * n + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else { return nil }
                    lower[i * n + i] = sum.squareRoot()
                } else {
                    lower[i * n + j] = sum / lower[j * n + j]
                }
            }
        }
    }

    /// x with A x = `b`.
    func solve(_ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= lower[i * n + k] * y[k] }
            y[i] /= lower[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { y[i] -= lower[k * n + i] * y[k] }
            y[i] /= lower[i * n + i]
        }
        return y
    }

    /// The diagonal of A⁻¹ (the variances, up to a factor, of a least-squares fit).
    func inverseDiagonal() -> [Double] {
        (0..<n).map { i in
            var unit = [Double](repeating: 0, count: n)
            unit[i] = 1
            return solve(unit)[i]
        }
    }
}

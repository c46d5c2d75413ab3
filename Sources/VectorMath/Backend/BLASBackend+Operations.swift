internal import CBLAS

extension BLASBackend {
    /// `C = A · Bᵀ` (or `C = A · Bᵀ + C` when `accumulate`), all row-major:
    /// A is m × k with row stride `lda`, B is n × k with row stride `ldb`, C is m × n
    /// with row stride `ldc`. Single-threaded.
    ///
    /// - Complexity: 2·m·n·k floating-point operations.
    @inlinable
    public func multiplyTransposed(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false
    ) {
        precondition(lda >= k && ldb >= k && ldc >= n, "leading dimension shorter than a row")
        guard m > 0, n > 0 else { return }
        sgemm(m: m, n: n, k: k, a: a, lda: lda, transposeB: true, b: b, ldb: ldb, c: c, ldc: ldc, beta: accumulate ? 1 : 0)
    }

    @usableFromInline
    func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeB: Bool,
               b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        sgemmFunction(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                      blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// `y = A · x`, row-major A of `rows` × `columns` with row stride `lda`. Single-threaded.
    ///
    /// - Complexity: 2·rows·columns operations; reads the matrix once.
    public func multiply(
        rows: Int, columns: Int,
        a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>
    ) {
        precondition(lda >= columns, "leading dimension shorter than a row")
        guard rows > 0 else { return }
        sgemvFunction(CblasRowMajor, CblasNoTrans, blasint(rows), blasint(columns), 1, a, blasint(lda), x, 1, 0, y, 1)
    }
}

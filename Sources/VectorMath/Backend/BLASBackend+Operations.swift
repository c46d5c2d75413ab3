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
    func sgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeB: Bool,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float
    ) {
        sgemmFunction(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
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

    /// `C = Aᵀ · B`, row-major: A is k × m (row stride `lda`), B is k × n, C is m × n.
    /// Single-threaded.
    ///
    /// - Complexity: 2·m·n·k operations.
    public func multiplyTransposedLeft(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(lda >= m && ldb >= n && ldc >= n, "leading dimension shorter than a row")
        guard m > 0, n > 0 else { return }
        sgemmFunction(
            CblasRowMajor, CblasTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
            1, a, blasint(lda), b, blasint(ldb), 0, c, blasint(ldc))
    }

    /// Eigen-decomposition of a symmetric n × n matrix (LAPACK `ssyevd`), in place: on
    /// return `matrix` (row-major) holds the eigenvectors as columns, and the result
    /// is the eigenvalues in ascending order.
    ///
    /// - Throws: ``VectorMathError/Code/blasUnavailable`` without LAPACKE;
    ///   ``VectorMathError/Code/lapackFailed`` when `ssyevd` reports `info != 0`.
    public func symmetricEigen(n: Int, matrix: UnsafeMutablePointer<Float>) throws(VectorMathError) -> [Float] {
        guard let ssyevd = ssyevdFunction else {
            throw VectorMathError(.blasUnavailable, "LAPACKE_ssyevd not found: install liblapacke-dev")
        }
        var eigenvalues = [Float](repeating: 0, count: n)
        let info = ssyevd(
            Int32(LAPACK_ROW_MAJOR), CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
            .init(n), matrix, .init(n), &eigenvalues)
        guard info == 0 else {
            throw VectorMathError(.lapackFailed, "LAPACKE_ssyevd failed with info = \(info)")
        }
        return eigenvalues
    }
}

internal import CBLAS

extension BLASBackend {
    /// Checks sgemm and sgemv on awkward shapes against a double-precision oracle.
    ///
    /// - Returns: nil when every result is within tolerance, else what was wrong.
    static func selfTest(sgemm: onering_sgemm_fn, sgemv: onering_sgemv_fn) -> String? {
        let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 7), (17, 33, 65), (64, 300, 1536), (255, 129, 1537), (1, 4097, 96)]
        var generator = SplitMix64(seed: 0x5EED)
        for shape in shapes {
            let a = (0..<shape.m * shape.k).map { _ in generator.nextFloat() - 0.5 }
            let b = (0..<shape.n * shape.k).map { _ in generator.nextFloat() - 0.5 }
            var c = [Float](repeating: .nan, count: shape.m * shape.n)
            sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, blasint(shape.m), blasint(shape.n), blasint(shape.k),
                1, a, blasint(shape.k), b, blasint(shape.k), 0, &c, blasint(shape.n))
            var y = [Float](repeating: .nan, count: shape.n)
            sgemv(CblasRowMajor, CblasNoTrans, blasint(shape.n), blasint(shape.k), 1, b, blasint(shape.k), a, 1, 0, &y, 1)
            let tolerance = 1e-5 * Double(shape.k).squareRoot() + 1e-6
            // Every 7th row and column, and the last ones: each block and edge of the kernels is
            // reached, at a fraction of the naive check's time (it runs at every start).
            for i in Set(Swift.stride(from: 0, to: shape.m, by: 7)).union([shape.m - 1]) {
                for j in Set(Swift.stride(from: 0, to: shape.n, by: 7)).union([shape.n - 1]) {
                    var exact = 0.0
                    for l in 0..<shape.k { exact += Double(a[i * shape.k + l]) * Double(b[j * shape.k + l]) }
                    if !(abs(Double(c[i * shape.n + j]) - exact) <= tolerance) {
                        return "sgemm \(shape.m)×\(shape.n)×\(shape.k) gave \(c[i * shape.n + j]) at (\(i), \(j)), expected \(exact)"
                    }
                    if i == 0, !(abs(Double(y[j]) - exact) <= tolerance) {
                        return "sgemv \(shape.n)×\(shape.k) gave \(y[j]) at \(j), expected \(exact)"
                    }
                }
            }
        }
        return nil
    }
}

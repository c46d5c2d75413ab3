/// Squared distances from every point of a k-means++ sample to a few of its own points, from
/// the points' int8 codes (``Int8Rows``), for ``KMeans/seedPlusPlus(_:parameters:seed:)``.
///
/// Each seeding step reads every point once for all its candidates, so the bytes of a point
/// are the step's cost: int8 codes are a quarter of float32's (14,410 × 384 points: 5.5 MB a
/// step instead of 22). An estimate is within `2·(eₓ·(‖c‖ + e_c) + ‖x‖·e_c)` of the distance (eₓ,
/// e_c the norms of what rounding to int8 lost); a pair whose estimate is within that of zero
/// (a duplicate, or nearly) is computed in float32 as Σ (xⱼ − cⱼ)² instead, so a duplicate of a
/// chosen centre weighs exactly nothing.
struct SeedingDistances {
    /// Points per block of the parallel pass; potentials are summed per block, then in block
    /// order, so the result does not depend on the thread count.
    static let blockSize = 2_048

    private let points: KMeans.Points
    private let codes: Int8Rows
    private let norms: [Float]
    private let threads: Int

    /// The codes of `points`.
    init(_ points: KMeans.Points, threads: Int) {
        self.points = points
        codes = Int8Rows(points.matrix, threads: threads)
        norms = points.squaredNorms.map { $0.squareRoot() }
        self.threads = threads
    }

    /// Writes ‖xᵢ − x_c‖² for every point i and candidate c (indices of points) to
    /// `distances[c × n + i]`, and returns each candidate's potential, Σᵢ min(`nearest`ᵢ, ‖xᵢ − x_c‖²).
    func potentials(of candidates: [Int], nearest: [Float], into distances: inout [Float]) -> [Double] {
        let n = points.count, d = points.dims, stride = codes.stride, m = candidates.count
        precondition(distances.count >= n * m && nearest.count == n, "room for \(m) candidates' distances")
        // The kernels take a query as its codes + 128 (see Int8Kernel).
        var queries = [UInt8](repeating: 128, count: m * stride)
        for (c, row) in candidates.enumerated() {
            for j in 0..<d { queries[c * stride + j] = UInt8(Int(codes.codes[row * stride + j]) + 128) }
        }
        let blockSize = Self.blockSize
        let blocks = (n + blockSize - 1) / blockSize
        let workers = ParallelBlocks.workers(count: n, blockSize: blockSize, threads: threads)
        var partials = [Double](repeating: 0, count: blocks * m)
        var sums = [Int32](repeating: 0, count: workers * m * blockSize)
        let kernel = Int8Kernel.best
        codes.codes.withUnsafeBufferPointer { rows in
            queries.withUnsafeBufferPointer { queries in
                nearest.withUnsafeBufferPointer { nearest in
                    distances.withUnsafeMutableBufferPointer { out in
                        partials.withUnsafeMutableBufferPointer { partials in
                            sums.withUnsafeMutableBufferPointer { sums in
                                nonisolated(unsafe) let (out, partials, sums) = (out, partials, sums)
                                ParallelBlocks.forEach(count: n, blockSize: blockSize, threads: workers) { worker, block in
                                    let raw = sums.baseAddress! + worker * m * blockSize
                                    kernel.dots(
                                        rows: rows.baseAddress! + block.lowerBound * stride, count: block.count, stride: stride,
                                        queries: queries.baseAddress!, m: m, out: raw, ldo: block.count)
                                    for (c, candidate) in candidates.enumerated() {
                                        let target = out.baseAddress! + c * n + block.lowerBound
                                        write(candidate, sums: raw + c * block.count, rows: block, into: target)
                                        partials[(block.lowerBound / blockSize) * m + c] = Self.potential(
                                            target, nearest: nearest.baseAddress! + block.lowerBound, count: block.count)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (0..<m).map { c in (0..<blocks).reduce(0.0) { $0 + partials[$1 * m + c] } }
    }

    /// Writes ‖xᵢ − x_c‖² for the points `rows` and candidate c to `out[i − rows.lowerBound]`, from
    /// the kernel's sums for the pairs; then, for the rare pair whose estimate is within its error
    /// of zero, from float32.
    private func write(_ c: Int, sums: UnsafePointer<Int32>, rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let first = rows.lowerBound, count = rows.count
        let scaleC = codes.scales[c], squaredC = points.squaredNorms[c], normC = norms[c], errorC = codes.errorNorms[c]
        points.squaredNorms.withUnsafeBufferPointer { squaredNorms in
            norms.withUnsafeBufferPointer { norms in
                codes.scales.withUnsafeBufferPointer { scales in
                    codes.errorNorms.withUnsafeBufferPointer { errors in
                        codes.sums.withUnsafeBufferPointer { codeSums in
                            @inline(__always) func margin(_ i: Int) -> Float {
                                2 * (errors[i] * (normC + errorC) + norms[i] * errorC) + 1e-5 * (squaredNorms[i] + squaredC)
                            }
                            var suspects = 0
                            for offset in 0..<count {
                                let i = first + offset
                                // Int8Rows.estimate, inline.
                                let estimate = scaleC * scales[i] * Float(sums[offset] &- 128 &* codeSums[i])
                                let distance = squaredNorms[i] + squaredC - 2 * estimate
                                out[offset] = distance
                                suspects &+= distance <= margin(i) ? 1 : 0
                            }
                            guard suspects > 0 else { return }
                            points.matrix.withUnsafeBufferPointer { x in
                                let d = points.dims
                                for offset in 0..<count where out[offset] <= margin(first + offset) {
                                    out[offset] = Self.squaredDifference(x.baseAddress! + (first + offset) * d, x.baseAddress! + c * d, count: d)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Σ (a[j] − b[j])² in float32: exactly zero for a duplicate, and free of the cancellation of
    /// ‖a‖² + ‖b‖² − 2⟨a, b⟩ for rows close together (far from the origin, that formula's rounding
    /// alone can exceed their distance).
    static func squaredDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let difference = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self) - UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
            lanes += difference * difference
            j += 8
        }
        var sum = lanes.sum()
        while j < count {
            sum += (a[j] - b[j]) * (a[j] - b[j])
            j += 1
        }
        return sum
    }

    /// Σ min(nearest[i], distances[i]) for i in 0..<count, in four interleaved sums (a fixed order).
    private static func potential(_ distances: UnsafePointer<Float>, nearest: UnsafePointer<Float>, count: Int) -> Double {
        @inline(__always) func term(_ i: Int) -> Double { Double(min(nearest[i], distances[i])) }
        var sums = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= count {
            sums.0 += term(i)
            sums.1 += term(i + 1)
            sums.2 += term(i + 2)
            sums.3 += term(i + 3)
            i += 4
        }
        while i < count {
            sums.0 += term(i)
            i += 1
        }
        return (sums.0 + sums.1) + (sums.2 + sums.3)
    }
}

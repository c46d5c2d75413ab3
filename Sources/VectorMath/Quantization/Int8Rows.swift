internal import CVectorKernels

/// Unit vectors as int8 codes, one scale per row: row r is `scales[r] × codes[r]` to within
/// `errorNorms[r]` (the Euclidean norm of what rounding lost, kept to bound every score).
///
/// A row's scale is its largest absolute coordinate / 127, so each code uses the full
/// −127…127 range. Rows are padded with zero codes to a `stride` of a multiple of 64 bytes,
/// one AVX-512 load; `sums[r]` is the sum of row r's codes (for the unsigned-query trick of
/// the VNNI kernels). Memory: `stride + 12` bytes a row, about a quarter of float32.
public struct Int8Rows: Sendable {
    /// The vectors' dimension, and the bytes between two rows' codes.
    public let dims: Int
    public let stride: Int
    /// The codes, `rows × stride` (changed only by this type's methods, in its files).
    var codes: [Int8] = []
    /// Per row: the scale, the norm of the rounding error, the sum of the codes.
    var scales: [Float] = []
    var errorNorms: [Float] = []
    var sums: [Int32] = []

    /// No rows yet.
    public init(dims: Int) {
        precondition(dims > 0, "a row has at least one dimension")
        self.dims = dims
        stride = (dims + 63) / 64 * 64
    }

    /// The codes of every row of `matrix`, quantised on every core.
    public init(_ matrix: borrowing Matrix<Float>, threads: Int = CPUFeatures.current.activeCores) {
        self.init(dims: matrix.columns)
        let rows = matrix.rows, dims = dims, stride = stride
        codes = [Int8](repeating: 0, count: rows * stride)
        scales = [Float](repeating: 0, count: rows)
        errorNorms = scales
        sums = [Int32](repeating: 0, count: rows)
        matrix.withUnsafeBufferPointer { values in
            codes.withUnsafeMutableBufferPointer { codes in
                scales.withUnsafeMutableBufferPointer { scales in
                    errorNorms.withUnsafeMutableBufferPointer { errorNorms in
                        sums.withUnsafeMutableBufferPointer { sums in
                            nonisolated(unsafe) let (codes, scales, errorNorms, sums) = (codes, scales, errorNorms, sums)
                            ParallelBlocks.forEach(count: rows, blockSize: 1_024, threads: threads) { _, range in
                                for row in range {
                                    (scales[row], errorNorms[row], sums[row]) = Self.quantize(
                                        UnsafeBufferPointer(rebasing: values[row * dims..<(row + 1) * dims]),
                                        into: UnsafeMutableBufferPointer(rebasing: codes[row * stride..<row * stride + dims]))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The number of rows.
    public var rows: Int { scales.count }

    /// Bytes held (codes and per-row figures).
    public var allocatedBytes: Int { codes.capacity + scales.capacity * 4 + errorNorms.capacity * 4 + sums.capacity * 4 }

    /// Bytes of its arrays that are resident in RAM.
    public var residentBytes: Int {
        codes.withUnsafeBytes(ResidentPages.bytes) + scales.withUnsafeBytes(ResidentPages.bytes)
            + errorNorms.withUnsafeBytes(ResidentPages.bytes) + sums.withUnsafeBytes(ResidentPages.bytes)
    }

    /// The largest error norm of any row (0 without rows).
    public var largestErrorNorm: Float { errorNorms.max() ?? 0 }

    /// The int8 estimate of ⟨query, row⟩ from a kernel's sum Σ (c + 128)·d over the query's codes c
    /// (scale `queryScale`) and the row's codes d.
    @inline(__always)
    func estimate(_ sum: Int32, row: Int, queryScale: Float) -> Float {
        queryScale * scales[row] * Float(sum &- 128 &* sums[row])
    }

    /// Makes room for `rows` rows.
    public mutating func reserveCapacity(rows wanted: Int) {
        codes.reserveCapacity(wanted * stride)
        scales.reserveCapacity(wanted)
        errorNorms.reserveCapacity(wanted)
        sums.reserveCapacity(wanted)
    }

    /// Adds a row (`dims` values).
    public mutating func append(row values: UnsafeBufferPointer<Float>) {
        precondition(values.count == dims, "a row has \(dims) values")
        let start = codes.count
        codes.append(contentsOf: repeatElement(0, count: stride))
        let (scale, error, sum) = codes.withUnsafeMutableBufferPointer { buffer in
            Self.quantize(values, into: UnsafeMutableBufferPointer(rebasing: buffer[start..<start + dims]))
        }
        scales.append(scale)
        errorNorms.append(error)
        sums.append(sum)
    }

    /// Adds a row.
    public mutating func append(row values: [Float]) {
        values.withUnsafeBufferPointer { append(row: $0) }
    }

    /// Replaces row `index`.
    public mutating func replaceRow(_ index: Int, with values: [Float]) {
        values.withUnsafeBufferPointer { replaceRow(index, with: $0) }
    }

    /// Replaces row `index` with `values`.
    public mutating func replaceRow(_ index: Int, with values: UnsafeBufferPointer<Float>) {
        precondition(values.count == dims, "a row has \(dims) values")
        let start = index * stride
        let (scale, error, sum) = codes.withUnsafeMutableBufferPointer { buffer in
            Self.quantize(values, into: UnsafeMutableBufferPointer(rebasing: buffer[start..<start + dims]))
        }
        scales[index] = scale
        errorNorms[index] = error
        sums[index] = sum
    }

    /// Copies row `source` over row `destination`.
    public mutating func moveRow(_ source: Int, to destination: Int) {
        guard source != destination else { return }
        codes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            (base + destination * stride).update(from: base + source * stride, count: stride)
        }
        scales[destination] = scales[source]
        errorNorms[destination] = errorNorms[source]
        sums[destination] = sums[source]
    }

    /// Removes the last `count` rows.
    public mutating func removeLast(_ count: Int) {
        codes.removeLast(count * stride)
        scales.removeLast(count)
        errorNorms.removeLast(count)
        sums.removeLast(count)
    }

    /// Calls `body` with the codes (`rows × stride`).
    public func withCodes<Result>(_ body: (UnsafeBufferPointer<Int8>) throws -> Result) rethrows -> Result {
        try codes.withUnsafeBufferPointer(body)
    }

    /// Quantises `values` into `codes` (`values.count` of them): the scale, the error norm
    /// rounded up so that it bounds the true one, and the sum of the codes.
    ///
    /// Codes are v / scale rounded half away from zero (as `rounded()` does), by
    /// `onering_int8_quantize` (vectorised C: this ran at 45 % of an engine start that quantised
    /// 100,000 rows). The squared errors are summed in eight partial sums: any order bounds the
    /// norm, as the doubles' rounding is about 1e-13 of it and the two float steps added about 1e-7.
    static func quantize(_ values: UnsafeBufferPointer<Float>, into codes: UnsafeMutableBufferPointer<Int8>) -> (scale: Float, errorNorm: Float, sum: Int32) {
        var largest: Float = 0
        for value in values { largest = max(largest, abs(value)) }
        guard largest > 0, let base = values.baseAddress, let codeBase = codes.baseAddress else {
            codes.update(repeating: 0)
            return (0, 0, 0)
        }
        let scale = largest / 127
        var squaredError: Double = 0
        let sum = onering_int8_quantize(base, values.count, scale, codeBase, &squaredError)
        return (scale, Float(squaredError.squareRoot()).nextUp.nextUp, sum)
    }
}

/// Scanning a range of rows with one query: what a partitioned search does per probed list.
extension Int8Rows {
    /// A unit query coded for ``estimates(_:rows:into:)``, with what its error bound needs.
    public struct Query: Sendable {
        let encoded: Int8Search.EncodedQuery

        /// Codes `unit` (unit length) for rows of `stride` bytes.
        public init(_ unit: UnsafeBufferPointer<Float>, stride: Int) {
            encoded = Int8Search.encode(unit, stride: stride)
        }

        /// How far an estimate can be from the exact score of a unit row whose rounding error norm
        /// is at most `rowErrorNorm` (see ``Int8Search``): ‖ŝ·c‖·‖f‖ + ‖e‖, plus float rounding.
        public func errorBound(rowErrorNorm: Float) -> Float {
            encoded.codeNorm * rowErrorNorm + encoded.errorNorm + 1e-5
        }
    }

    /// The error norm of row `index`'s codes.
    public func errorNorm(ofRow index: Int) -> Float { errorNorms[index] }

    /// The int8 estimates of ⟨query, row⟩ for `rows`, written to `scores[0..<rows.count]` on the
    /// caller's thread, with no allocation.
    public func estimates(_ query: Query, rows range: Range<Int>, into scores: UnsafeMutablePointer<Float>, kernel: Int8Kernel = .best) {
        guard !range.isEmpty else { return }
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) are not in 0..<\(rows)")
        let raw = UnsafeMutableRawPointer(scores)
        codes.withUnsafeBufferPointer { codes in
            query.encoded.bytes.withUnsafeBufferPointer { bytes in
                raw.withMemoryRebound(to: Int32.self, capacity: range.count) { sums in
                    kernel.dots(
                        rows: codes.baseAddress! + range.lowerBound * stride, count: range.count, stride: stride, query: bytes.baseAddress!,
                        out: sums)
                }
            }
        }
        convertSums(at: raw, rows: range, queryScale: query.encoded.scale)
    }

    /// In place: each kernel sum at `sums` (an int32 per row of `rows`, in order) becomes its
    /// float estimate for a query of scale `queryScale`.
    func convertSums(at sums: UnsafeMutableRawPointer, rows range: Range<Int>, queryScale: Float) {
        for offset in 0..<range.count {
            let sum = sums.load(fromByteOffset: 4 * offset, as: Int32.self)
            sums.storeBytes(of: estimate(sum, row: range.lowerBound + offset, queryScale: queryScale), toByteOffset: 4 * offset, as: Float.self)
        }
    }
}

/// Copying rows between code sets, and the raw arrays (for snapshots).
extension Int8Rows {
    /// Adds a copy of row `row` of `other` (the same dimension): its codes exactly as they are.
    public mutating func append(row: Int, of other: borrowing Int8Rows) {
        precondition(other.dims == dims && other.stride == stride, "the rows have \(other.dims) dimensions; these \(dims)")
        other.codes.withUnsafeBufferPointer { source in codes.append(contentsOf: source[row * stride..<(row + 1) * stride]) }
        scales.append(other.scales[row])
        errorNorms.append(other.errorNorms[row])
        sums.append(other.sums[row])
    }

    /// Calls `body` with the raw bytes of the codes, the scales, the error norms and the sums, in that order.
    public func withStorage<Result>(_ body: ([UnsafeRawBufferPointer]) throws -> Result) rethrows -> Result {
        try codes.withUnsafeBytes { codes in
            try scales.withUnsafeBytes { scales in
                try errorNorms.withUnsafeBytes { errorNorms in
                    try sums.withUnsafeBytes { sums in try body([codes, scales, errorNorms, sums]) }
                }
            }
        }
    }

    /// `rows` rows of `dims` dimensions whose arrays `fill` writes, in the order of ``withStorage(_:)``
    /// (`rows × stride` codes, then `rows` floats, floats and int32s).
    public init(dims: Int, rows: Int, fill: ([UnsafeMutableRawBufferPointer]) throws -> Void) rethrows {
        self.init(dims: dims)
        codes = [Int8](repeating: 0, count: rows * stride)
        scales = [Float](repeating: 0, count: rows)
        errorNorms = scales
        sums = [Int32](repeating: 0, count: rows)
        try codes.withUnsafeMutableBytes { codes in
            try scales.withUnsafeMutableBytes { scales in
                try errorNorms.withUnsafeMutableBytes { errorNorms in
                    try sums.withUnsafeMutableBytes { sums in try fill([codes, scales, errorNorms, sums]) }
                }
            }
        }
    }
}

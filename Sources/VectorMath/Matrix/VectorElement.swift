// The AVX kernels exist on x86_64 only; ONERING_PORTABLE_ONLY compiles the portable paths alone,
// which is how `make portable-check` type-checks what arm64 builds.
#if arch(x86_64) && !ONERING_PORTABLE_ONLY
    internal import CVectorKernels
#endif

/// A scalar type a ``Matrix`` can store and the search can scan: `Float` (exact,
/// 4 bytes) or `Float16` (half the memory and bandwidth, ~3 significant digits).
public protocol VectorElement: BinaryFloatingPoint, BitwiseCopyable, Sendable {
    /// Writes `count` elements as `Float`.
    static func convert(_ source: UnsafePointer<Self>, to destination: UnsafeMutablePointer<Float>, count: Int)

    /// `scores[r] = ⟨rows[r], query⟩` for `count` contiguous rows of `dims` elements.
    static func dotRows(
        _ rows: UnsafePointer<Self>, count: Int, dims: Int,
        query: UnsafePointer<Float>, scores: UnsafeMutablePointer<Float>,
        backend: BLASBackend
    )

    /// Calls `body` with the rows as `Float`: in place for `Float`, converted into
    /// `scratch` (at least `count × dims`; required) otherwise.
    static func withFloatRows<Result>(
        _ rows: UnsafePointer<Self>, count: Int, dims: Int,
        scratch: UnsafeMutablePointer<Float>?,
        _ body: (UnsafePointer<Float>) -> Result
    ) -> Result
}

extension Float: VectorElement {
    @inlinable
    public static func convert(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        destination.update(from: source, count: count)
    }

    @inlinable
    public static func dotRows(
        _ rows: UnsafePointer<Float>, count: Int, dims: Int,
        query: UnsafePointer<Float>, scores: UnsafeMutablePointer<Float>,
        backend: BLASBackend
    ) {
        backend.multiply(rows: count, columns: dims, a: rows, lda: dims, x: query, y: scores)
    }

    @inlinable
    public static func withFloatRows<Result>(
        _ rows: UnsafePointer<Float>, count: Int, dims: Int,
        scratch: UnsafeMutablePointer<Float>?,
        _ body: (UnsafePointer<Float>) -> Result
    ) -> Result {
        body(rows)
    }
}

extension Float16: VectorElement {
    public static func convert(_ source: UnsafePointer<Float16>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            switch HalfKernel.best {
            case .avx512: return source.withMemoryRebound(to: UInt16.self, capacity: count) { onering_half_to_float_avx512($0, destination, count) }
            case .avx2: return source.withMemoryRebound(to: UInt16.self, capacity: count) { onering_half_to_float_avx2($0, destination, count) }
            case .portable: break
            }
        #endif
        for i in 0..<count { destination[i] = Float(source[i]) }
    }

    public static func dotRows(
        _ rows: UnsafePointer<Float16>, count: Int, dims: Int,
        query: UnsafePointer<Float>, scores: UnsafeMutablePointer<Float>,
        backend: BLASBackend
    ) {
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            switch HalfKernel.best {
            case .avx512: return rows.withMemoryRebound(to: UInt16.self, capacity: count * dims) { onering_half_gemv_avx512($0, count, dims, query, scores) }
            case .avx2: return rows.withMemoryRebound(to: UInt16.self, capacity: count * dims) { onering_half_gemv_avx2($0, count, dims, query, scores) }
            case .portable: break
            }
        #endif
        for r in 0..<count {
            var sum: Float = 0
            for j in 0..<dims { sum += Float(rows[r * dims + j]) * query[j] }
            scores[r] = sum
        }
    }

    public static func withFloatRows<Result>(
        _ rows: UnsafePointer<Float16>, count: Int, dims: Int,
        scratch: UnsafeMutablePointer<Float>?,
        _ body: (UnsafePointer<Float>) -> Result
    ) -> Result {
        convert(rows, to: scratch!, count: count * dims)
        return body(scratch!)
    }
}

extension Float16 {
    /// Writes `count` floats as float16, rounding to nearest even: the hardware conversion where
    /// the CPU has it (Swift's `Float16(_:)` calls a software routine on x86_64, ~10× slower).
    public static func convert(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float16>, count: Int) {
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            switch HalfKernel.best {
            case .avx512: return destination.withMemoryRebound(to: UInt16.self, capacity: count) { onering_float_to_half_avx512(source, $0, count) }
            case .avx2: return destination.withMemoryRebound(to: UInt16.self, capacity: count) { onering_float_to_half_avx2(source, $0, count) }
            case .portable: break
            }
        #endif
        for i in 0..<count { destination[i] = Float16(source[i]) }
    }
}

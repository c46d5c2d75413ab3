#if arch(x86_64) && !ONERING_PORTABLE_ONLY
    import CVectorKernels
#endif

/// Inner products of one pair of float rows, outside BLAS: for the row-at-a-time work
/// where a BLAS call costs more than the row (k-means bounds and objectives).
enum DotProduct {
    /// Whether the AVX-512 kernel runs (checked once).
    static let usesAVX512: Bool = {
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            return CPUFeatures.current.hasAVX512
        #else
            return false
        #endif
    }()

    /// ⟨a, b⟩ in float.
    ///
    /// Whatever the kernel, the error is at most (count + 2)·2⁻²⁴·‖a‖·‖b‖, the bound
    /// of any summation order.
    /// - Complexity: O(count).
    @inline(__always)
    static func float(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            if usesAVX512 { return onering_float_dot_avx512(a, b, count) }
        #endif
        var lanes = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            lanes +=
                UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        var sum = lanes.sum()
        while j < count {
            sum += a[j] * b[j]
            j += 1
        }
        return sum
    }
}

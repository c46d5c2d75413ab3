/// The float16 kernel this CPU runs (see `CVectorKernels`).
public enum HalfKernel: String, Sendable {
    /// AVX-512 (F, BW, VL): 16 lanes, hardware conversion.
    case avx512
    /// AVX2 with FMA and F16C: 8 lanes.
    case avx2
    /// A plain Swift loop, for CPUs with neither.
    case portable

    /// The fastest kernel this CPU supports.
    public static let best: HalfKernel = {
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            let cpu = CPUFeatures.current
            if cpu.hasAVX512 { return .avx512 }
            if cpu.hasAVX2FMA, cpu.hasF16C { return .avx2 }
        #endif
        return .portable
    }()
}

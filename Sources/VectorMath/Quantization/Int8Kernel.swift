#if arch(x86_64) && !ONERING_PORTABLE_ONLY
    internal import CVectorKernels
#endif

/// The int8 dot-product code this CPU runs (see `CVectorKernels`): unsigned query bytes
/// (codes + 128) times signed row codes, summed in int32.
public enum Int8Kernel: String, Sendable {
    /// AVX-512 VNNI (`vpdpbusd`): 64 byte products a lane group per instruction.
    case vnni = "AVX-512 VNNI"
    /// AVX2 (`vpmaddubsw` on |q| and x·sign q, which cannot saturate): 32 byte products a step.
    case avx2 = "AVX2"
    /// A plain Swift loop, for CPUs with neither.
    case portable

    /// The fastest kernel this CPU supports.
    public static let best: Int8Kernel = {
        #if arch(x86_64) && !ONERING_PORTABLE_ONLY
            let cpu = CPUFeatures.current
            if cpu.hasAVX512, cpu.flags.contains("avx512_vnni") { return .vnni }
            if cpu.flags.contains("avx2") { return .avx2 }
        #endif
        return .portable
    }()

    /// Every kernel this CPU runs, fastest first (the portable one last).
    public static var available: [Int8Kernel] {
        switch best {
        case .vnni: [.vnni, .avx2, .portable]
        case .avx2: [.avx2, .portable]
        case .portable: [.portable]
        }
    }

    /// `out[r] = Σ_j query[j] · rows[r][j]` for `count` rows `stride` bytes apart.
    func dots(rows: UnsafePointer<Int8>, count: Int, stride: Int, query: UnsafePointer<UInt8>, out: UnsafeMutablePointer<Int32>) {
        switch self {
        case .vnni:
            #if arch(x86_64) && !ONERING_PORTABLE_ONLY
                onering_int8_gemv_vnni(rows, count, stride, query, out)
            #else
                preconditionFailure("the VNNI kernel exists on x86_64 only")
            #endif
        case .avx2:
            #if arch(x86_64) && !ONERING_PORTABLE_ONLY
                onering_int8_gemv_avx2(rows, count, stride, query, out)
            #else
                preconditionFailure("the AVX2 kernel exists on x86_64 only")
            #endif
        case .portable:
            for row in 0..<count {
                let codes = rows + row * stride
                var sum: Int32 = 0
                for j in 0..<stride { sum &+= Int32(query[j]) &* Int32(codes[j]) }
                out[row] = sum
            }
        }
    }

    /// `out[q · ldo + r] = Σ_j queries[q][j] · rows[r][j]` for `m` queries and `count` rows.
    func dots(
        rows: UnsafePointer<Int8>, count: Int, stride: Int, queries: UnsafePointer<UInt8>, m: Int,
        out: UnsafeMutablePointer<Int32>, ldo: Int
    ) {
        switch self {
        case _ where m == 1:
            dots(rows: rows, count: count, stride: stride, query: queries, out: out)
        case .vnni:
            #if arch(x86_64) && !ONERING_PORTABLE_ONLY
                onering_int8_gemm_vnni(rows, count, stride, queries, m, out, ldo)
            #else
                preconditionFailure("the VNNI kernel exists on x86_64 only")
            #endif
        case .avx2:
            #if arch(x86_64) && !ONERING_PORTABLE_ONLY
                onering_int8_gemm_avx2(rows, count, stride, queries, m, out, ldo)
            #else
                preconditionFailure("the AVX2 kernel exists on x86_64 only")
            #endif
        case .portable:
            for query in 0..<m { dots(rows: rows, count: count, stride: stride, query: queries + query * stride, out: out + query * ldo) }
        }
    }
}

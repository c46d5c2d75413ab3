#if canImport(Glibc)
    import Glibc
#endif

/// oneDNN's int8 GEMM (`dnnl_gemm_u8s8s32`), opened at run time from Debian's `libdnnl2`
/// when it is installed: it dispatches to VNNI or AMX by itself and runs on every core.
/// Without it the batched int8 search uses the package's own VNNI kernel.
public struct OneDNNGemm: Sendable {
    private typealias Function =
        @convention(c) (
            CChar, CChar, CChar, Int64, Int64, Int64, Float, UnsafePointer<UInt8>?, Int64, UInt8,
            UnsafePointer<Int8>?, Int64, Int8, Float, UnsafeMutablePointer<Int32>?, Int64, UnsafePointer<Int32>?
        ) -> Int32

    /// The library's path.
    public let path: String
    private let gemm: Function

    /// oneDNN, when it can be opened; nil otherwise.
    public static let shared: OneDNNGemm? = {
        for name in ["libdnnl.so.2", "libdnnl.so.3", "libdnnl.so"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL), let address = dlsym(handle, "dnnl_gemm_u8s8s32") else { continue }
            return OneDNNGemm(
                path: MemoryMaps.path(containing: UInt(bitPattern: address)) ?? name,
                gemm: unsafeBitCast(address, to: Function.self))
        }
        return nil
    }()

    /// `c[q · ldc + r] = Σ_j a[q][j] · b[r][j]`, row-major: `a` is m × k (u8, row stride `lda`),
    /// `b` is n × k (s8, row stride `ldb`). False when oneDNN reports an error.
    func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<UInt8>, lda: Int, b: UnsafePointer<Int8>, ldb: Int,
        c: UnsafeMutablePointer<Int32>, ldc: Int
    ) -> Bool {
        var zero: Int32 = 0
        let status = gemm(
            CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "F")), Int64(m), Int64(n), Int64(k),
            1, a, Int64(lda), 0, b, Int64(ldb), 0, 0, c, Int64(ldc), &zero)
        return status == 0
    }
}

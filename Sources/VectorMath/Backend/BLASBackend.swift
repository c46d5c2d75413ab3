internal import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// The BLAS and LAPACKE library the engine computes with, loaded at run time.
///
/// The library is opened with `dlopen` rather than linked, because OpenBLAS picks
/// its kernel once, when it is loaded: a library linked into the executable has
/// chosen before any Swift code runs. Loading it ourselves lets the engine set
/// `OPENBLAS_CORETYPE` to the best kernel for this CPU first (unless the user
/// already set it), check the kernel against a naive oracle, and fall back to an
/// older kernel if it computes wrong results. See docs/DESIGN.md.
///
/// BLAS always runs single-threaded; the engine parallelises itself over row
/// blocks (``ParallelRows``), so that `threads` in every parameter struct is the
/// whole story and concurrent requests cannot oversubscribe the cores.
public final class BLASBackend: Sendable {
    /// The library that was loaded, e.g. `libopenblas.so.0`, with the path it resolved to.
    public let library: String
    /// `openblas_get_config()` (version and build options), or a plain description.
    public let version: String
    /// The kernel that runs (`openblas_get_corename()`), or `generic`.
    public let kernel: String
    /// Where the kernel choice came from.
    public let kernelSource: KernelSource
    /// Kernels that were tried before ``kernel`` and failed the self-test.
    public let rejectedKernels: [String]
    /// The CPU the choice was made for.
    public let cpu: CPUFeatures

    /// How the running kernel was chosen.
    public enum KernelSource: String, Sendable {
        /// `OPENBLAS_CORETYPE` was set in the environment before the engine started.
        case environment
        /// The engine chose it from the CPU's features.
        case selected
        /// The library chose it (not OpenBLAS, or no better choice was known).
        case library
    }

    let sgemmFunction: onering_sgemm_fn
    let sgemvFunction: onering_sgemv_fn
    let ssyevdFunction: onering_ssyevd_fn?
    private let setThreadsFunction: onering_openblas_set_threads_fn?

    /// The process-wide backend, loaded on first use.
    ///
    /// - Throws: ``VectorMathError/Code/blasUnavailable`` when no BLAS library can be
    ///   loaded; ``VectorMathError/Code/blasSelfTestFailed`` when no kernel computes
    ///   correct results.
    public static func shared() throws(VectorMathError) -> BLASBackend {
        try loaded.get()
    }

    private static let loaded: Result<BLASBackend, VectorMathError> = Result { () throws(VectorMathError) in
        try BLASBackend(cpu: .current)
    }

    private init(cpu: CPUFeatures) throws(VectorMathError) {
        self.cpu = cpu
        if let openBLAS = try Self.loadOpenBLAS(cpu: cpu) {
            (library, version, kernel, kernelSource, rejectedKernels) = openBLAS.description
            sgemmFunction = openBLAS.sgemm
            sgemvFunction = openBLAS.sgemv
            setThreadsFunction = openBLAS.setThreads
        } else {
            guard let handle = Self.open(["libblas.so.3", "libblas.so", "libcblas.so.3"]) else {
                throw VectorMathError(.blasUnavailable, "no BLAS library found: install libopenblas-dev (or libblas-dev)")
            }
            guard let sgemm: onering_sgemm_fn = Self.symbol(handle.pointer, "cblas_sgemm"),
                let sgemv: onering_sgemv_fn = Self.symbol(handle.pointer, "cblas_sgemv")
            else {
                throw VectorMathError(.blasUnavailable, "\(handle.path) has no CBLAS interface (cblas_sgemm)")
            }
            library = handle.path
            version = "reference or vendor BLAS"
            kernel = "generic"
            kernelSource = .library
            rejectedKernels = []
            sgemmFunction = sgemm
            sgemvFunction = sgemv
            setThreadsFunction = nil
            if let failure = Self.selfTest(sgemm: sgemm, sgemv: sgemv) {
                throw VectorMathError(.blasSelfTestFailed, "\(library) computes wrong results: \(failure)")
            }
        }
        // LAPACKE resolves LAPACK through liblapack.so.3, which, with OpenBLAS
        // installed, is OpenBLAS's own and so shares the instance loaded above.
        let lapacke = Self.open(["liblapacke.so.3", "liblapacke.so"])
        ssyevdFunction = lapacke.flatMap { Self.symbol($0.pointer, "LAPACKE_ssyevd") }
        setThreadsFunction?(1)
    }

    /// Whether LAPACKE is available (PCA needs it).
    public var hasLAPACK: Bool { ssyevdFunction != nil }

    // MARK: Loading

    private struct OpenBLAS {
        var description: (String, String, String, KernelSource, [String])
        var sgemm: onering_sgemm_fn
        var sgemv: onering_sgemv_fn
        var setThreads: onering_openblas_set_threads_fn?
    }

    /// The OpenBLAS kernel (`OPENBLAS_CORETYPE`) that runs fastest on a CPU with these
    /// features, or nil to let OpenBLAS detect it.
    ///
    /// OpenBLAS releases older than the CPU often detect it as a generic x86-64
    /// ("Prescott") and run several times slower than the hardware allows.
    public static func preferredOpenBLASKernels(for cpu: CPUFeatures) -> [String] {
        var kernels: [String] = []
        if cpu.hasAVX512 { kernels.append("SkylakeX") }
        if cpu.hasAVX2FMA { kernels.append("Haswell") }
        if cpu.flags.contains("avx") { kernels.append("Sandybridge") }
        if !kernels.isEmpty { kernels.append("Prescott") }
        return kernels
    }

    private static func loadOpenBLAS(cpu: CPUFeatures) throws(VectorMathError) -> OpenBLAS? {
        let preset = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        let candidates = preset == nil ? preferredOpenBLASKernels(for: cpu) : []
        if let first = candidates.first { setenv("OPENBLAS_CORETYPE", first, 1) }
        let handle = open(["libopenblas.so.0", "libopenblas.so"])
        // The library has read its choice; leave the environment as we found it.
        if preset == nil { unsetenv("OPENBLAS_CORETYPE") }
        guard let handle else { return nil }
        guard let sgemm: onering_sgemm_fn = symbol(handle.pointer, "cblas_sgemm"),
            let sgemv: onering_sgemv_fn = symbol(handle.pointer, "cblas_sgemv"),
            let corename: onering_openblas_string_fn = symbol(handle.pointer, "openblas_get_corename")
        else {
            throw VectorMathError(.blasUnavailable, "\(handle.path) lacks cblas_sgemm, cblas_sgemv or openblas_get_corename")
        }
        let setThreads: onering_openblas_set_threads_fn? = symbol(handle.pointer, "openblas_set_num_threads")
        let config: onering_openblas_string_fn? = symbol(handle.pointer, "openblas_get_config")
        let version = config.flatMap { $0() }.map { String(cString: $0) } ?? "OpenBLAS"
        setThreads?(1)

        var rejected: [String] = []
        let source: KernelSource = preset != nil ? .environment : (candidates.isEmpty ? .library : .selected)
        var failure = selfTest(sgemm: sgemm, sgemv: sgemv)
        // A dynamic-architecture build can switch kernels in place; try the next
        // older one while the chosen one computes wrong results.
        if failure != nil, source == .selected,
            let quit: onering_openblas_void_fn = symbol(handle.pointer, "gotoblas_dynamic_quit"),
            let initialise: onering_openblas_void_fn = symbol(handle.pointer, "gotoblas_dynamic_init")
        {
            for next in candidates.dropFirst() where failure != nil {
                rejected.append(corename().map { String(cString: $0) } ?? "unknown")
                quit()
                setenv("OPENBLAS_CORETYPE", next, 1)
                initialise()
                unsetenv("OPENBLAS_CORETYPE")
                failure = selfTest(sgemm: sgemm, sgemv: sgemv)
            }
        }
        let kernel = corename().map { String(cString: $0) } ?? "unknown"
        if let failure {
            throw VectorMathError(.blasSelfTestFailed, "\(handle.path) kernel \(kernel) computes wrong results: \(failure)")
        }
        return OpenBLAS(
            description: (handle.path, version, kernel, source, rejected),
            sgemm: sgemm, sgemv: sgemv, setThreads: setThreads
        )
    }

    private struct Handle {
        var pointer: UnsafeMutableRawPointer
        var path: String
    }

    private static func open(_ names: [String]) -> Handle? {
        for name in names {
            guard let pointer = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            return Handle(pointer: pointer, path: resolvedPath(of: pointer, symbol: "cblas_sgemm") ?? name)
        }
        return nil
    }

    private static func resolvedPath(of handle: UnsafeMutableRawPointer, symbol name: String) -> String? {
        guard let address = dlsym(handle, name) else { return nil }
        return MemoryMaps.path(containing: UInt(bitPattern: address))
    }

    private static func symbol<Function>(_ handle: UnsafeMutableRawPointer, _ name: String) -> Function? {
        guard let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: Function.self)
    }

    // MARK: Threads

    /// Runs `body` with the library's own threading set to `threads`, then back to one.
    ///
    /// Only the probes use this, to measure the library as a plain caller (numpy)
    /// would get it.
    func withLibraryThreads<Result>(_ threads: Int, _ body: () throws -> Result) rethrows -> Result {
        setThreadsFunction?(Int32(threads))
        defer { setThreadsFunction?(1) }
        return try body()
    }
}

import ArgumentParser
import VectorMath

/// `onering doctor`: what the engine computes with on this machine, and how fast.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the BLAS library, kernel, threads and CPU features, with a sgemm and sgemv probe."
    )

    @Option(help: "Worker threads for the probes (default: every core).")
    var threads: Int = CPUFeatures.current.activeCores

    @Option(help: "Seconds per probe.")
    var seconds: Double = 1

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        let cpu = CPUFeatures.current
        print("cpu: \(cpu.modelName), \(cpu.activeCores) cores")
        print("cpu features: \(cpu.vectorExtensions.joined(separator: " "))")
        let backend = try BLASBackend.shared()
        print("blas library: \(backend.library)")
        print("blas version: \(backend.version)")
        var kernelLine = "blas kernel: \(backend.kernel) (\(backend.kernelSource.rawValue))"
        if !backend.rejectedKernels.isEmpty { kernelLine += ", rejected by self-test: \(backend.rejectedKernels.joined(separator: ", "))" }
        print(kernelLine)
        print("blas threads: 1 per call; the engine runs \(threads) workers over row blocks")
        print("lapacke: \(backend.hasLAPACK ? "available" : "missing (install liblapacke-dev)")")
        print("float16 kernel: \(HalfKernel.best.rawValue)")
        // oneDNN's int8 GEMM is exact only with VNNI (without it, its int16 pair sums can saturate).
        let batches =
            switch (Int8Kernel.best, OneDNNGemm.shared) {
            case (.vnni, let oneDNN?): "oneDNN dnnl_gemm_u8s8s32 (\(oneDNN.path))"
            case (.vnni, nil): "the same kernel (libdnnl2 not installed)"
            default: "the same kernel, a block of rows at a time (oneDNN's int8 GEMM saturates without VNNI)"
            }
        print("int8 kernel: \(Int8Kernel.best.rawValue) for single queries; batches: \(batches)")

        // Square-ish GEMM (the batched-search shape) and a GEMV that misses cache.
        let dims = 1536
        let rows = 65536
        let data = SyntheticVectors(dims: dims, seed: 1).generate(count: rows)
        let queries = SyntheticVectors(dims: dims, seed: 2).generate(count: 256)
        let (gemm, gemv) = data.withUnsafeBufferPointer { base in
            queries.withUnsafeBufferPointer { query in
                (
                    backend.probeGEMM(
                        queries: query.baseAddress!, m: 256, rows: base.baseAddress!, n: rows, k: dims,
                        threads: threads, seconds: seconds),
                    backend.probeGEMV(
                        rows: base.baseAddress!, n: rows, k: dims, query: query.baseAddress!,
                        threads: threads, seconds: seconds)
                )
            }
        }
        print("sgemm 256×\(rows)×\(dims), \(threads) threads: \(gemm.gigaflops.fixed(1)) GFLOP/s (\((gemm.secondsPerCall * 1e3).fixed(1)) ms per call)")
        print("sgemv \(rows)×\(dims), \(threads) threads: \(gemv.gigabytesPerSecond.fixed(1)) GB/s (\((gemv.secondsPerCall * 1e3).fixed(2)) ms per call)")
    }
}

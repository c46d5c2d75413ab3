import Dispatch

extension BLASBackend {
    /// A throughput measurement of one BLAS routine.
    public struct ProbeResult: Sendable {
        /// Calls timed.
        public var calls: Int
        /// Median seconds per call.
        public var secondsPerCall: Double
        /// Floating-point operations per second, in units of 10⁹.
        public var gigaflops: Double
        /// Matrix bytes read per second, in units of 10⁹.
        public var gigabytesPerSecond: Double
    }

    /// Times `C = A · Bᵀ` (A: m × k queries, B: n × k rows), the library threading
    /// itself over `threads` as a plain caller such as numpy gets it. This is the
    /// GEMM limit batched search is compared with.
    ///
    /// - Parameter seconds: keeps calling for about this long (at least two calls).
    public func probeGEMM(
        queries: UnsafePointer<Float>, m: Int, rows: UnsafePointer<Float>, n: Int, k: Int,
        threads: Int, seconds: Double = 1
    ) -> ProbeResult {
        let output = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { output.deallocate() }
        let times = withLibraryThreads(threads) {
            Self.repeatFor(seconds) {
                multiplyTransposed(m: m, n: n, k: k, a: queries, lda: k, b: rows, ldb: k, c: output, ldc: n)
            }
        }
        let median = times.sorted()[times.count / 2]
        return ProbeResult(
            calls: times.count, secondsPerCall: median,
            gigaflops: 2 * Double(m) * Double(n) * Double(k) / median / 1e9,
            gigabytesPerSecond: 4 * Double(n) * Double(k) / median / 1e9)
    }

    /// Times `y = A · x` over an n × k matrix with the library's own threading: the
    /// memory-bandwidth limit single-query search is compared with.
    public func probeGEMV(
        rows: UnsafePointer<Float>, n: Int, k: Int, query: UnsafePointer<Float>,
        threads: Int, seconds: Double = 1
    ) -> ProbeResult {
        let output = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { output.deallocate() }
        let times = withLibraryThreads(threads) {
            Self.repeatFor(seconds) { multiply(rows: n, columns: k, a: rows, lda: k, x: query, y: output) }
        }
        let median = times.sorted()[times.count / 2]
        return ProbeResult(
            calls: times.count, secondsPerCall: median,
            gigaflops: 2 * Double(n) * Double(k) / median / 1e9,
            gigabytesPerSecond: 4 * Double(n) * Double(k) / median / 1e9)
    }

    /// Runs `body` once to warm up, then until `seconds` have passed (at least twice);
    /// returns each call's duration.
    static func repeatFor(_ seconds: Double, _ body: () -> Void) -> [Double] {
        body()
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let before = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - before) / 1e9)
        } while times.count < 2 || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
        return times
    }
}

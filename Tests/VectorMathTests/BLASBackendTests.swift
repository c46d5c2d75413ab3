import Foundation
import Testing
import VectorMath

@Suite struct BLASBackendTests {
    @Test func loadsAKernelThatPassesItsSelfTest() throws {
        let backend = try BLASBackend.shared()
        #expect(!backend.library.isEmpty)
        #expect(!backend.kernel.isEmpty)
        // The kernel came from where the backend says, and a rejected one never runs.
        let preset = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        #expect((backend.kernelSource == .environment) == (preset != nil && backend.library.contains("openblas")))
        let candidates = BLASBackend.preferredOpenBLASKernels(for: backend.cpu)
        if backend.kernelSource == .selected {
            #expect(candidates.contains { $0.caseInsensitiveCompare(backend.kernel) == .orderedSame }, "\(backend.kernel) ∉ \(candidates)")
        }
        #expect(!backend.rejectedKernels.contains(backend.kernel))
        #expect(backend.rejectedKernels.allSatisfy { rejected in candidates.contains { $0.caseInsensitiveCompare(rejected) == .orderedSame } })
    }

    @Test func gemmAndGemvAgreeWithLoops() throws {
        let backend = try BLASBackend.shared()
        let a = SyntheticVectors(dims: 70, seed: 1).generate(count: 9)
        let b = SyntheticVectors(dims: 70, seed: 2).generate(count: 13)
        var c = [Float](repeating: 0, count: 9 * 13)
        var y = [Float](repeating: 0, count: 13)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                backend.multiplyTransposed(m: 9, n: 13, k: 70, a: a.baseAddress!, lda: 70, b: b.baseAddress!, ldb: 70, c: &c, ldc: 13)
                backend.multiply(rows: 13, columns: 70, a: b.baseAddress!, lda: 70, x: a.baseAddress!, y: &y)
            }
        }
        for i in 0..<9 {
            for j in 0..<13 {
                let exact = zip(a.row(i), b.row(j)).reduce(0.0) { $0 + Double($1.0 * $1.1) }
                #expect(abs(Double(c[i * 13 + j]) - exact) < 1e-5)
                if i == 0 { #expect(abs(Double(y[j]) - exact) < 1e-5) }
            }
        }
    }

    @Test func kernelChoiceFollowsTheCPUFeatures() {
        let skylake = CPUFeatures(modelName: "x", activeCores: 2, flags: ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"])
        #expect(BLASBackend.preferredOpenBLASKernels(for: skylake) == ["SkylakeX", "Haswell", "Sandybridge", "Prescott"])
        let haswell = CPUFeatures(modelName: "x", activeCores: 2, flags: ["avx", "avx2", "fma"])
        #expect(BLASBackend.preferredOpenBLASKernels(for: haswell) == ["Haswell", "Sandybridge", "Prescott"])
        let old = CPUFeatures(modelName: "x", activeCores: 2, flags: ["sse2"])
        #expect(BLASBackend.preferredOpenBLASKernels(for: old).isEmpty)
    }

    @Test func parsesProcCPUInfo() {
        let text = "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu avx2 fma avx512f\n\nprocessor\t: 1\nflags\t\t: other\n"
        let features = CPUFeatures(parsingCPUInfo: text, activeCores: 2)
        #expect(features.modelName == "Test CPU")
        #expect(features.flags == ["fpu", "avx2", "fma", "avx512f"])
        #expect(features.hasAVX2FMA && !features.hasAVX512)
    }

    @Test func parallelBlocksVisitEveryIndexOnce() {
        for threads in [1, 2, 5] {
            var seen = [Int](repeating: 0, count: 1001)
            seen.withUnsafeMutableBufferPointer { seen in
                ParallelBlocks.forEach(count: 1001, blockSize: 37, threads: threads) { _, range in
                    for i in range { seen[i] += 1 }
                }
            }
            #expect(seen.allSatisfy { $0 == 1 })
        }
    }
}

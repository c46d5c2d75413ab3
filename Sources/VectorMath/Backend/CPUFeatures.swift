import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The vector instruction sets of the CPU this process runs on.
///
/// Read from `/proc/cpuinfo` on Linux (the kernel reports what the CPU and the
/// hypervisor both allow, which is what matters for running code).
public struct CPUFeatures: Sendable, Equatable {
    /// The CPU's model name, as the kernel reports it.
    public var modelName: String
    /// Logical cores this process may run on.
    public var activeCores: Int
    /// Lower-case flag names (`avx2`, `fma`, `f16c`, `avx512f`, …).
    public var flags: Set<String>

    /// Creates a feature set from explicit values (for tests and other platforms).
    public init(modelName: String, activeCores: Int, flags: Set<String>) {
        self.modelName = modelName
        self.activeCores = activeCores
        self.flags = flags
    }

    /// The features of this machine.
    public static let current: CPUFeatures = {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            return CPUFeatures(modelName: "unknown", activeCores: cores, flags: [])
        }
        return CPUFeatures(parsingCPUInfo: info, activeCores: cores)
    }()

    /// Parses the first processor's entry of a `/proc/cpuinfo` text.
    public init(parsingCPUInfo text: String, activeCores: Int) {
        var model = "unknown"
        var flags = Set<String>()
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "model name", model == "unknown" { model = value }
            if key == "flags", flags.isEmpty { flags = Set(value.split(separator: " ").map(String.init)) }
        }
        self.init(modelName: model, activeCores: activeCores, flags: flags)
    }

    /// AVX-512 Foundation, Byte/Word, Doubleword/Quadword and Vector Length: what
    /// OpenBLAS's SkylakeX kernels need.
    public var hasAVX512: Bool {
        ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains)
    }

    /// AVX2 with FMA: what OpenBLAS's Haswell kernels need.
    public var hasAVX2FMA: Bool { flags.contains("avx2") && flags.contains("fma") }

    /// F16C, the hardware float16 ↔ float32 conversion.
    public var hasF16C: Bool { flags.contains("f16c") }

    /// The instruction sets worth reporting, in order of age.
    public var vectorExtensions: [String] {
        ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile"]
            .filter(flags.contains)
    }
}

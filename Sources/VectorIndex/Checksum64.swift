/// A fast 64-bit checksum of a byte buffer: four lanes of the XXH64 round
/// (multiply, rotate, multiply) over 8-byte words, folded together. It detects
/// corruption and tells rows apart (the engine fingerprints the rows it applied with it);
/// it is not cryptographic and not byte-compatible with XXH64.
///
/// - Complexity: O(bytes), several GB/s.
public enum Checksum64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9

    /// The checksum of `bytes`, continuing from `seed` (chain sections by passing
    /// the previous section's checksum).
    public static func of(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        @inline(__always) func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
            let mixed = lane &+ word &* prime2
            return ((mixed << 31) | (mixed >> 33)) &* prime1
        }
        var lanes = (seed &+ prime1 &+ prime2, seed &+ prime2, seed, seed &- prime1)
        let words = bytes.count / 8
        let base = bytes.baseAddress
        var i = 0
        while i + 4 <= words {
            lanes.0 = round(lanes.0, base!.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            lanes.1 = round(lanes.1, base!.loadUnaligned(fromByteOffset: i * 8 + 8, as: UInt64.self))
            lanes.2 = round(lanes.2, base!.loadUnaligned(fromByteOffset: i * 8 + 16, as: UInt64.self))
            lanes.3 = round(lanes.3, base!.loadUnaligned(fromByteOffset: i * 8 + 24, as: UInt64.self))
            i += 4
        }
        var hash = round(round(round(round(UInt64(bytes.count), lanes.0), lanes.1), lanes.2), lanes.3)
        while i < words {
            hash = round(hash, base!.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            i += 1
        }
        for j in words * 8..<bytes.count {
            hash = (hash ^ UInt64(bytes[j]) &* prime3) &* prime1
        }
        hash ^= hash >> 33
        hash &*= prime2
        hash ^= hash >> 29
        return hash
    }
}

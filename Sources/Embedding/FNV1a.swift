/// 64-bit FNV-1a: the hash behind the hashing embedder's features, content hashes
/// and IDF fingerprints. Fast and stable across runs and machines; not cryptographic.
enum FNV1a {
    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// One step: folds `value` into `hash`.
    @inline(__always)
    static func step(_ hash: UInt64, _ value: UInt64) -> UInt64 { (hash ^ value) &* prime }

    /// The hash of `bytes`, starting from `seed`.
    static func hash(_ bytes: some Sequence<UInt8>, seed: UInt64 = offset) -> UInt64 {
        bytes.reduce(seed) { step($0, UInt64($1)) }
    }
}

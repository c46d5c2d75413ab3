/// Post id → slot of the post index: open addressing with linear probing over two flat arrays,
/// which a snapshot stores as they are, so loading 2.5 million posts reads the table instead of
/// inserting each id again (as a `Dictionary` would need).
///
/// Ids are mixed with a random seed before they pick a bucket (post ids come from callers, who
/// must not be able to pile them into one run of buckets). Three quarters full at most (2.5
/// million posts: 4.2 million buckets, 50 MB); a removal shifts the run after it back, so no
/// tombstones build up.
struct SlotTable: Sendable {
    /// The key of an empty bucket (post ids are positive).
    static let emptyKey: Int64 = 0

    private(set) var keys: [Int64]
    private(set) var slots: [Int32]
    private(set) var count = 0
    let seed: UInt64

    /// An empty table with room for `capacity` ids before it grows.
    init(capacity: Int = 0, seed: UInt64 = .random(in: .min ... .max)) {
        var buckets = 16
        while 3 * buckets < 4 * capacity { buckets *= 2 }
        keys = [Int64](repeating: Self.emptyKey, count: buckets)
        slots = [Int32](repeating: 0, count: buckets)
        self.seed = seed
    }

    /// A table from the arrays of another (a snapshot's), or nil when they do not form one: a
    /// bucket count that is not a power of two, arrays of different lengths, or `count` other
    /// than the keys held.
    init?(keys: [Int64], slots: [Int32], seed: UInt64) {
        guard keys.count >= 16, keys.count & (keys.count - 1) == 0, slots.count == keys.count else { return nil }
        self.keys = keys
        self.slots = slots
        self.seed = seed
        count = keys.count { $0 != Self.emptyKey }
        guard 4 * count <= 3 * keys.count else { return nil }
    }

    /// The bucket `key` starts probing at.
    @inline(__always)
    private func home(_ key: Int64) -> Int {
        // MurmurHash3's 64-bit finaliser of the seeded key.
        var mixed = UInt64(bitPattern: key) ^ seed
        mixed ^= mixed >> 33
        mixed &*= 0xFF51_AFD7_ED55_8CCD
        mixed ^= mixed >> 33
        mixed &*= 0xC4CE_B9FE_1A85_EC53
        mixed ^= mixed >> 33
        return Int(truncatingIfNeeded: mixed) & (keys.count - 1)
    }

    /// The slot of `key`, if the table holds it.
    subscript(key: Int64) -> Int32? {
        var bucket = home(key)
        while true {
            let found = keys[bucket]
            if found == key { return slots[bucket] }
            if found == Self.emptyKey { return nil }
            bucket = (bucket + 1) & (keys.count - 1)
        }
    }

    /// Stores `slot` for `key` (a positive id), replacing what it had.
    mutating func set(_ slot: Int32, for key: Int64) {
        precondition(key != Self.emptyKey, "post ids are positive")
        if 4 * (count + 1) > 3 * keys.count { grow() }
        var bucket = home(key)
        while keys[bucket] != Self.emptyKey && keys[bucket] != key { bucket = (bucket + 1) & (keys.count - 1) }
        if keys[bucket] == Self.emptyKey { count += 1 }
        keys[bucket] = key
        slots[bucket] = slot
    }

    /// Removes `key`; returns its slot, or nil when the table did not hold it.
    @discardableResult
    mutating func removeValue(forKey key: Int64) -> Int32? {
        let mask = keys.count - 1
        var bucket = home(key)
        while keys[bucket] != key {
            if keys[bucket] == Self.emptyKey { return nil }
            bucket = (bucket + 1) & mask
        }
        let removed = slots[bucket]
        // Backward shift: each later key of the run whose home is not between the hole and
        // itself moves into the hole, so every key stays reachable from its home.
        var hole = bucket
        var next = (hole + 1) & mask
        while keys[next] != Self.emptyKey {
            let wanted = home(keys[next])
            let reachable = hole <= next ? (wanted <= hole || wanted > next) : (wanted <= hole && wanted > next)
            if reachable {
                keys[hole] = keys[next]
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        keys[hole] = Self.emptyKey
        count -= 1
        return removed
    }

    /// Every slot held, in bucket order.
    var allSlots: [Int32] { zip(keys, slots).compactMap { $0.0 == Self.emptyKey ? nil : $0.1 } }

    /// Bytes held: both arrays.
    var allocatedBytes: Int { keys.count * 12 }

    private mutating func grow() {
        var larger = SlotTable(capacity: 2 * count, seed: seed)
        for (key, slot) in zip(keys, slots) where key != Self.emptyKey { larger.set(slot, for: key) }
        self = larger
    }
}

internal import Foundation
internal import VectorIndex

/// The post index as a file: its arrays as they lie in memory (dead slots compacted away), the
/// document frequencies and the id → slot table included; the posts by author are rebuilt on
/// load. Format: magic "ONRGPIX\0", version u32, code kind u32 (0 none, 1 sparse, 2 projected),
/// total term length u64, then each array (count u64, elements; the posts' fields as
/// `PostIndex.Fields`, 40 bytes, little-endian), then a `Checksum64` of everything before it.
/// Version 2 keeps each post's fields together (version 1 had an array per field; a version-1
/// file is refused, and the engine then reads the store in full once and writes version 2).
extension PostIndex {
    static let snapshotMagic: [UInt8] = Array("ONRGPIX\0".utf8)
    static let snapshotVersion: UInt32 = 2

    /// Writes the live posts to `path` (the caller renames it into place).
    func save(to path: String) throws(VectorIndexError) {
        var index = self
        if index.deadSlots > 0 { index.compact() }
        let file = try SnapshotWriter(path: path)
        try file.write(Self.snapshotMagic + Self.littleEndian(Self.snapshotVersion) + Self.littleEndian(Self.codeKind(index.projected)))
        try file.write(Self.littleEndian(UInt64(index.totalLength)))
        try file.write(index.fields)
        try file.write(index.dimensions)
        try file.write(index.values)
        try file.write(index.terms)
        try file.write(Array(index.documentFrequency.keys))
        try file.write(Array(index.documentFrequency.values))
        try file.write([index.slots.seed])
        try file.write(index.slots.keys)
        try file.write(index.slots.slots)
        try file.finishWithChecksum()
    }

    /// Loads a file written by ``save(to:)``.
    ///
    /// - Throws: `.corruptSnapshot` for a wrong magic, version, checksum, or arrays that do not
    ///   agree; `.io` when the file cannot be read.
    static func load(from path: String) throws(VectorIndexError) -> PostIndex {
        let file = try SnapshotReader(path: path)
        let header = try file.array(of: UInt8.self, "header")
        guard header.count == 16, Array(header[0..<8]) == snapshotMagic,
            header.withUnsafeBytes({ UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }) == snapshotVersion
        else { throw VectorIndexError(.corruptSnapshot, "\(path) is not a post index snapshot of version \(snapshotVersion)") }
        let kind = header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) }
        let total = try file.array(of: UInt8.self, "term total")
        guard total.count == 8 else { throw VectorIndexError(.corruptSnapshot, "\(path) has a bad header") }
        let totalLength = total.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        var index = PostIndex()
        index.projected = kind == 0 ? nil : kind == 2
        index.totalLength = Int(clamping: totalLength)
        index.fields = try file.array(of: Fields.self, "posts")
        index.dimensions = try file.array(of: UInt16.self, "code dimensions")
        index.values = try file.array(of: Int8.self, "code values")
        index.terms = try file.array(of: UInt32.self, "terms")
        let frequentTerms = try file.array(of: UInt32.self, "document frequency terms")
        let frequencies = try file.array(of: Int32.self, "document frequencies")
        let seed = try file.array(of: UInt64.self, "slot table seed")
        let tableKeys = try file.array(of: Int64.self, "slot table keys")
        let tableSlots = try file.array(of: Int32.self, "slot table slots")
        try file.verifyChecksum()
        let posts = index.fields.count
        guard
            index.projected == true || index.dimensions.count == index.values.count, frequentTerms.count == frequencies.count,
            index.fields.allSatisfy({ $0.code.upperBound <= index.values.count && $0.termRange.upperBound <= index.terms.count })
        else { throw VectorIndexError(.corruptSnapshot, "\(path) holds arrays that do not agree") }
        index.documentFrequency = Dictionary(uniqueKeysWithValues: zip(frequentTerms, frequencies))
        // The table as stored: it must hold each post once, at its own slot.
        guard seed.count == 1, let table = SlotTable(keys: tableKeys, slots: tableSlots, seed: seed[0]), table.count == posts,
            zip(tableKeys, tableSlots).allSatisfy({ key, slot in
                key == SlotTable.emptyKey || (Int(slot) < posts && slot >= 0 && index.fields[Int(slot)].postID == key)
            })
        else { throw VectorIndexError(.corruptSnapshot, "\(path) holds a slot table that does not match its posts") }
        index.slots = table
        // An author's posts mostly lie in runs of slots: one lookup a run, each list made whole.
        var runs: [(author: Int64, slots: Range<Int>)] = []
        var start = 0
        while start < posts {
            var end = start + 1
            while end < posts && index.fields[end].authorID == index.fields[start].authorID { end += 1 }
            runs.append((index.fields[start].authorID, start..<end))
            start = end
        }
        index.byAuthor.reserveCapacity(runs.count)
        for run in runs { index.byAuthor[run.author, default: []] += run.slots.map(Int32.init) }
        return index
    }

    private static func codeKind(_ projected: Bool?) -> UInt32 { projected.map { $0 ? 2 : 1 } ?? 0 }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

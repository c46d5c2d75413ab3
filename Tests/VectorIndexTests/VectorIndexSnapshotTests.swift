import Foundation
import Testing
import VectorIndex
import VectorMath

@Suite("VectorIndex snapshots")
struct VectorIndexSnapshotTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "onering-snapshot-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func makeIndex(storage: VectorIndex.Storage) throws -> VectorIndex {
        let vectors = SyntheticVectors(dims: 24, clusters: 3, seed: 2).generate(count: 150)
        var index = try VectorIndex(dims: 24, configuration: .init(storage: storage))
        try index.upsert(ids: (0..<150).map { Int64($0) * 7 - 300 }, vectors: vectors)
        try index.remove(id: -300)
        return index
    }

    @Test(arguments: VectorIndex.Storage.allCases)
    func roundTripKeepsEveryVectorBitForBit(storage: VectorIndex.Storage) throws {
        let index = try makeIndex(storage: storage)
        let path = directory + "/index.snap"
        try index.save(to: path)
        let loaded = try VectorIndex.load(from: path, expectedDims: 24)
        #expect(loaded.configuration.storage == storage)
        #expect(loaded.allIDs == index.allIDs)
        for id in index.allIDs { #expect(try loaded.vector(for: id) == index.vector(for: id)) }
        let query = try index.vector(for: 400)
        #expect(try loaded.search(vector: query, k: 9) == index.search(vector: query, k: 9))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["index.snap"])
    }

    @Test("a loaded index's rows are the file's pages until written: writes, growth and a save over the file leave the loaded copy and the file apart")
    func mappedRowsAreCopiedOnWrite() throws {
        let index = try makeIndex(storage: .int8)
        let path = directory + "/index.snap"
        try index.save(to: path)
        var loaded = try VectorIndex.load(from: path, expectedDims: 24)
        let original = try index.vector(for: 400)
        var changed = original.reversed().map { $0 }
        try loaded.upsert(id: 400, vector: changed)
        // Growth past the mapped room copies the rows into memory of the index's own.
        let more = SyntheticVectors(dims: 24, clusters: 2, seed: 5).generate(count: 400)
        try loaded.upsert(ids: (0..<400).map { 100_000 + Int64($0) }, vectors: more)
        changed = try loaded.vector(for: 400)
        #expect(changed != original)
        // The file still holds the vector as saved; saving the changed index over it publishes the change.
        #expect(try VectorIndex.load(from: path, expectedDims: 24).vector(for: 400) == original)
        try loaded.save(to: path)
        let reloaded = try VectorIndex.load(from: path, expectedDims: 24)
        #expect(try reloaded.vector(for: 400) == changed && reloaded.count == index.count + 400)
        #expect(try reloaded.search(vector: changed, k: 5) == loaded.search(vector: changed, k: 5))
    }

    @Test(arguments: ["flip", "truncate", "magic", "version", "extend"])
    func corruptSnapshotsAreErrorsNotCrashes(defect: String) throws {
        let path = directory + "/index.snap"
        try makeIndex(storage: .float32).save(to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        switch defect {
        case "flip": bytes[bytes.count / 2] ^= 0x10
        case "truncate": bytes.removeLast(100)
        case "magic": bytes[0] = 0
        case "version": bytes[8] = 9
        default: bytes += [1, 2, 3]
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { try VectorIndex.load(from: path) } throws: { ($0 as? VectorIndexError)?.code == .corruptSnapshot }
    }

    @Test func wrongDimensionOrMissingFileIsAnError() throws {
        let path = directory + "/index.snap"
        try makeIndex(storage: .float16).save(to: path)
        #expect { try VectorIndex.load(from: path, expectedDims: 1536) } throws: { ($0 as? VectorIndexError)?.code == .corruptSnapshot }
        #expect { try VectorIndex.load(from: directory + "/nothing") } throws: { ($0 as? VectorIndexError)?.code == .io }
    }

    @Test("a header whose size arithmetic overflows is a corrupt snapshot, not a crash")
    func overflowingHeader() throws {
        let path = directory + "/crafted.snap"
        try makeIndex(storage: .float32).save(to: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // dims = 0xFFFFFFF0 at offset 12, count = 2^39 at offset 24 (both little-endian).
        bytes.replaceSubrange(12..<16, with: [0xF0, 0xFF, 0xFF, 0xFF])
        bytes.replaceSubrange(24..<32, with: [0, 0, 0, 0, 0x80, 0, 0, 0])
        try bytes.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: VectorIndexError.self) { try VectorIndex.load(from: path) }
        #expect(error?.code == .corruptSnapshot)
    }
}

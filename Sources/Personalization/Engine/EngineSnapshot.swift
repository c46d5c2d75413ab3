internal import Foundation
internal import ProfileStore
internal import VectorIndex

/// The engine's memory on disk, so a start reads files instead of the whole store: a directory
/// holding `index.snap` (the creators' vectors and int8 codes, `VectorIndex.save`), `posts.snap`
/// (the post index) and `engine.json`, written last, which names the store, the model, the
/// dimension, the schema version, where both change feeds resume, and each file's checksum.
///
/// A snapshot is used only when all of that matches the store and every checksum holds; the
/// engine then catches up with the change feeds from the snapshot's watermarks. Anything else
/// is a ``Rejection`` and the engine reads the store in full.
struct EngineSnapshot {
    /// What `engine.json` holds.
    struct Meta: Codable, Equatable {
        static let currentFormat = 1
        var format: Int
        var model: String
        var dimensions: Int
        /// The store's instance id and newest migration when the snapshot was taken.
        var instance: String
        var schemaVersion: Int
        var watermark: UInt64
        var postWatermark: UInt64
        var creators: Int
        var posts: Int
        /// The trailing checksum of each file (the files of one snapshot belong together).
        var indexChecksum: UInt64
        var postsChecksum: UInt64
        var savedAt: Date
    }

    /// Why a snapshot was not used.
    struct Rejection: Error, CustomStringConvertible {
        var description: String
    }

    static let metaFile = "engine.json", indexFile = "index.snap", postsFile = "posts.snap"

    var meta: Meta
    var index: VectorIndex
    var posts: PostIndex

    /// Loads the snapshot in `directory` if it is one of this store's data, for `model` and
    /// `dimensions`. The post index is read on one thread while the index is read on another and
    /// then handed to `alongside` (the run's partition is built from it meanwhile).
    static func load<Extra: Sendable>(
        from directory: String, identity: ProfileStore.SnapshotIdentity, model: String, dimensions: Int, configuration: VectorIndex.Configuration,
        alongside: @escaping @Sendable (VectorIndex) async -> Extra
    ) async throws(Rejection) -> (snapshot: EngineSnapshot, extra: Extra) {
        let metaPath = (directory as NSString).appendingPathComponent(metaFile)
        guard let data = FileManager.default.contents(atPath: metaPath) else { throw Rejection(description: "there is no snapshot in \(directory)") }
        let meta: Meta
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { meta = try decoder.decode(Meta.self, from: data) } catch { throw Rejection(description: "\(metaPath) does not decode: \(error)") }
        func check(_ holds: Bool, _ reason: String) throws(Rejection) { if !holds { throw Rejection(description: reason) } }
        try check(meta.format == Meta.currentFormat, "the snapshot has format \(meta.format); this build reads \(Meta.currentFormat)")
        try check(meta.model == model, "the snapshot holds embeddings of model \(meta.model), not \(model)")
        try check(meta.dimensions == dimensions, "the snapshot holds \(meta.dimensions)-dimensional vectors; the store \(dimensions)")
        try check(meta.instance == identity.instance, "the snapshot is of another store (instance \(meta.instance), the store's \(identity.instance))")
        try check(
            meta.schemaVersion == identity.schemaVersion,
            "the snapshot was taken at schema version \(meta.schemaVersion); the store is at \(identity.schemaVersion)")
        try check(
            meta.watermark <= identity.nextTransaction && meta.postWatermark <= identity.nextTransaction,
            "the snapshot's watermark is past the server's transactions (another server's data)")
        let indexPath = (directory as NSString).appendingPathComponent(indexFile)
        let postsPath = (directory as NSString).appendingPathComponent(postsFile)
        let trailers = (try trailer(of: indexPath), try trailer(of: postsPath))
        try check(trailers == (meta.indexChecksum, meta.postsChecksum), "the snapshot's files do not belong together")
        async let posts = Offload.run { () throws(VectorIndexError) in try PostIndex.load(from: postsPath) }
        let index: VectorIndex
        do {
            index = try await Offload.run { () throws(VectorIndexError) in
                try VectorIndex.load(from: indexPath, expectedDims: dimensions, configuration: configuration)
            }
        } catch {
            throw Rejection(description: error.message)
        }
        try check(
            index.configuration.storage == configuration.storage,
            "the snapshot's index has \(index.configuration.storage) storage, not \(configuration.storage)")
        let extra = await alongside(index)
        let postIndex: PostIndex
        do { postIndex = try await posts } catch { throw Rejection(description: (error as? VectorIndexError)?.message ?? "\(error)") }
        try check(index.count == meta.creators && postIndex.count == meta.posts, "the snapshot's files do not hold the counts engine.json names")
        return (EngineSnapshot(meta: meta, index: index, posts: postIndex), extra)
    }

    /// Writes `index` and `posts` with their watermarks to `directory` (made if missing): the
    /// two files first, then `engine.json`, each through a temporary file renamed into place.
    static func save(
        index: VectorIndex, watermark: ChangeWatermark, posts: PostIndex, postWatermark: ChangeWatermark, model: String,
        identity: ProfileStore.SnapshotIdentity, to directory: String
    ) throws(Rejection) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let indexPath = (directory as NSString).appendingPathComponent(indexFile)
            let postsPath = (directory as NSString).appendingPathComponent(postsFile)
            try index.save(to: indexPath)
            let temporary = postsPath + ".tmp-\(getpid())"
            try posts.save(to: temporary)
            guard rename(temporary, postsPath) == 0 else { throw Rejection(description: "cannot move \(temporary) into place") }
            let meta = Meta(
                format: Meta.currentFormat, model: model, dimensions: index.dims, instance: identity.instance, schemaVersion: identity.schemaVersion,
                watermark: watermark.transactionID, postWatermark: postWatermark.transactionID, creators: index.count, posts: posts.count,
                indexChecksum: try trailer(of: indexPath), postsChecksum: try trailer(of: postsPath), savedAt: Date())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(meta).write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(metaFile)), options: .atomic)
        } catch let rejection as Rejection {
            throw rejection
        } catch let error as VectorIndexError {
            throw Rejection(description: error.message)
        } catch {
            throw Rejection(description: "cannot write the snapshot to \(directory): \(error.localizedDescription)")
        }
    }

    /// The last 8 bytes of `path` (a snapshot file's checksum).
    static func trailer(of path: String) throws(Rejection) -> UInt64 {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Rejection(description: "\(path) is missing") }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end >= 8, (try? handle.seek(toOffset: end - 8)) != nil,
            let bytes = try? handle.read(upToCount: 8), bytes.count == 8
        else { throw Rejection(description: "\(path) is too short to be a snapshot file") }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
}

public import Embedding
public import Foundation
public import Logging
public import ProfileStore
internal import VectorIndex
public import VectorMath

/// The personalization engine: every creator's embedding in memory, kept in sync with
/// the store, searched exactly or by cohort, and the source of personalization contexts.
///
/// Start it with ``start(store:embedder:configuration:logger:)``, then run ``follow()``
/// in a task of its own to follow the store's change feed (writes and deletions by any
/// process, and switches of the active cohort run). Searches read the index under a
/// shared lock; the follower changes it under an exclusive one, in place.
public final class PersonalizationEngine: Sendable {
    /// Tuning of the engine.
    public struct Configuration: Sendable {
        /// How often the follower polls the change feed. Default 200 ms.
        public var pollInterval: Duration
        /// Recent posts per profile document. Default `ProfileDocument.defaultPostLimit`.
        public var postLimit: Int
        /// Worker threads of an exact search. Default: every core.
        public var searchThreads: Int
        /// The most concurrent exact searches ``nearestCreators(to:k:mode:cohort:excluding:)`` answers
        /// with one batched GEMM; 1 runs each alone. Default 64.
        public var maximumSearchBatch: Int
        /// Whether the index also keeps int8 codes of every vector and scores exact searches with
        /// them, re-ranking in float32 (exact all the same; 1.25 × the memory). Default: when the
        /// CPU has an int8 kernel (AVX-512 VNNI or AVX2; see docs/DESIGN.md).
        public var int8Scoring: Bool
        /// Where the engine keeps its snapshot (see ``saveSnapshot()``): a start reads it and catches
        /// up with the change feeds instead of reading the store in full, and a start that read the
        /// store in full writes one. Nil: none. Default nil.
        public var snapshotDirectory: String?
        /// About the most memory contexts built lately may take, served again while nothing they
        /// were built from changed (see ``contextCacheStatistics``); 0 turns the cache off. Default 256 MiB.
        public var contextCacheBytes: Int

        /// A configuration with the defaults above.
        public init(
            pollInterval: Duration = .milliseconds(200), postLimit: Int = ProfileDocument.defaultPostLimit,
            searchThreads: Int = CPUFeatures.current.activeCores, maximumSearchBatch: Int = 64,
            int8Scoring: Bool = Int8Kernel.best != .portable, snapshotDirectory: String? = nil, contextCacheBytes: Int = 256 << 20
        ) {
            self.pollInterval = pollInterval
            self.postLimit = postLimit
            self.searchThreads = searchThreads
            self.maximumSearchBatch = maximumSearchBatch
            self.int8Scoring = int8Scoring
            self.snapshotDirectory = snapshotDirectory
            self.contextCacheBytes = contextCacheBytes
        }
    }

    /// How similar creators are found.
    public enum SearchMode: Sendable, Hashable {
        /// Every creator is scored.
        case exact
        /// Only members of the `nprobe` cohorts nearest to the query (exact when there is no active run).
        case partitioned(nprobe: Int)
    }

    /// What the engine holds.
    public struct Status: Sendable {
        /// Creators in the index.
        public var creators: Int
        /// The active cohort run, if any.
        public var cohortRunID: Int64?
        /// Its number of cohorts.
        public var cohorts: Int
        /// Where the change feed resumes.
        public var watermark: ChangeWatermark
        /// When the last sync with the store finished.
        public var lastSync: Date?
        /// Rows of the change feed rejected since start (bad vectors).
        public var rejectedRows: Int
        /// The longest time a change (the feed, a run switch) held the index's write lock, which
        /// every search waits for.
        public var longestWriteLock: Duration
    }

    /// What one sync with the store changed.
    public struct SyncReport: Sendable, Equatable {
        /// Creators written (new or changed).
        public var upserted = 0
        /// Creators deleted.
        public var deleted = 0
        /// Rows rejected (wrong dimension, NaN, zero).
        public var rejected = 0
        /// Rows read again with the vector already applied (the feed repeats rows while an older
        /// transaction runs): left alone.
        public var unchanged = 0
        /// Whether another cohort run became active.
        public var switchedRun = false
        /// Post embeddings written (new or changed).
        public var posts = 0
    }

    struct ActiveRun: Sendable {
        var record: CohortRunRecord
        var cohorts: [Cohort]
        var partition: CohortPartition
    }

    struct State: Sendable {
        var index: VectorIndex
        var watermark: ChangeWatermark
        var run: ActiveRun?
        var lastSync: Date?
        var rejectedRows = 0
        /// While a run's partition is built outside the lock: the creators written or deleted
        /// meanwhile, applied to the new partition when it is swapped in. Nil otherwise.
        var changedDuringSwitch: Set<Int64>?
        /// How the engine started (set once, at the end of the start).
        var start = StartReport()
        /// A fingerprint (``Checksum64``) of the raw row last applied per creator, so a row the feed repeats is
        /// recognised and left alone (rows of the start's bulk read have none, and are applied
        /// once more if repeated).
        var appliedRows: [Int64: UInt64] = [:]
    }

    /// The store the engine follows.
    public let store: ProfileStore
    /// Embeds profiles that have no current embedding.
    public let embedder: any Embedder
    /// The configuration the engine runs with.
    public let configuration: Configuration
    let logger: Logger
    let backend: BLASBackend
    let state: ReadWriteLock<State>
    /// Batches concurrent exact searches; nil when `maximumSearchBatch` is 1.
    let coalescer: SearchCoalescer?
    /// Every post's compact embedding and terms, and where their change feed resumes.
    let posts: ReadWriteLock<(index: PostIndex, watermark: ChangeWatermark)>
    /// How the model's post vectors are coded: sparse until a projection is stored for the model.
    let postCodec: ReadWriteLock<PostCodec>
    /// Briefs embedded lately (the trending topics standing in for a brief recur in every
    /// context of a cohort): at most ``briefCacheSize``, emptied when full.
    let briefQueries = ReadWriteLock<[String: PostIndex.Query]>([:])
    static let briefCacheSize = 1_024
    /// Contexts built lately (see ``ContextCache``).
    let contexts: ContextCache
    /// Where the profile change feed resumes (at first, where the embeddings' feed started: every
    /// write not in what the engine read is at or after it), and the stamps it last read (a row
    /// read again with the same stamp is no new write).
    let profileFeed: ReadWriteLock<(watermark: ChangeWatermark, stamps: [Int64: UInt64])>

    init(
        store: ProfileStore, embedder: any Embedder, configuration: Configuration, logger: Logger, backend: BLASBackend, state: State,
        posts: PostIndex, postWatermark: ChangeWatermark, postCodec: PostCodec
    ) {
        self.store = store
        self.embedder = embedder
        self.configuration = configuration
        self.logger = logger
        self.backend = backend
        let locked = ReadWriteLock(state)
        self.state = locked
        self.posts = ReadWriteLock((posts, postWatermark))
        self.postCodec = ReadWriteLock(postCodec)
        contexts = ContextCache(budget: configuration.contextCacheBytes)
        profileFeed = ReadWriteLock((state.watermark, [:]))
        coalescer =
            configuration.maximumSearchBatch > 1
            ? SearchCoalescer(maximumBatch: configuration.maximumSearchBatch) { Self.searchBatch($0, in: locked) }
            : nil
    }

    /// Loads every embedding (one bulk read) and the active cohort run.
    ///
    /// - Throws: `.invalidInput` when the embedder's dimension is not the store's; `.store`
    ///   when the store cannot be read.
    public static func start(
        store: ProfileStore, embedder: any Embedder, configuration: Configuration = Configuration(),
        logger: Logger
    ) async throws(PersonalizationError) -> PersonalizationEngine {
        let dimensions = store.configuration.dimensions
        guard embedder.dimensions == dimensions else {
            throw PersonalizationError(.invalidInput, "the embedder makes \(embedder.dimensions)-dimensional vectors; the store holds \(dimensions)")
        }
        let backend: BLASBackend
        do { backend = try BLASBackend.shared() } catch { throw .computation(error) }
        let indexConfiguration = VectorIndex.Configuration(
            storage: configuration.int8Scoring ? .int8 : .float32,
            search: .init(k: 10, threads: configuration.searchThreads))
        let started = ContinuousClock.now
        var rejection: String?
        if let directory = configuration.snapshotDirectory {
            switch try await startFromSnapshot(
                in: directory, store: store, embedder: embedder, configuration: configuration, indexConfiguration: indexConfiguration,
                backend: backend, logger: logger, started: started)
            {
            case .success(let engine): return engine
            case .failure(let reason):
                rejection = reason.description
                logger.notice("engine snapshot not used, reading the store in full: \(reason.description)")
            }
        }
        // The active run's rows and the posts' codes come on connections of their own while the embeddings stream in.
        async let activeRun = Self.loadRun(from: store)
        // The posts' codes are copied straight into the index as they stream in.
        async let postChanges = store.postEmbeddings(model: embedder.modelID, changedSince: .beginning, into: PostIndex()) { index, row in
            index.upsert(
                postID: row.postID, authorID: row.authorID, publishedAt: row.publishedAt, engagementRate: row.engagementRate, code: row.code,
                terms: row.terms)
        }
        let read: EmbeddingChanges
        do { read = try await store.embeddings() } catch { throw .store(error) }
        let readTime = ContinuousClock.now - started
        let userIDs = read.userIDs, watermark = read.watermark
        // The bulk read becomes the index without a copy (the matrix must be uniquely referenced).
        let adopted = try? VectorIndex(ids: userIDs, vectors: (consume read).vectors, configuration: indexConfiguration)
        let index: VectorIndex
        if let adopted {
            index = adopted
        } else {
            do { index = try VectorIndex(dims: dimensions, configuration: indexConfiguration) } catch { throw .index(error) }
        }
        let postIndex: PostIndex
        let postWatermark: ChangeWatermark
        let postCodec: PostCodec
        do {
            let read = try await postChanges
            postIndex = read.accumulated
            postWatermark = read.watermark
            postCodec = Self.codec(try await store.postProjection(model: embedder.modelID))
        } catch {
            throw .store(error as? ProfileStoreError ?? ProfileStoreError(.queryFailed, "\(error)"))
        }
        let engine = PersonalizationEngine(
            store: store, embedder: embedder, configuration: configuration, logger: logger,
            backend: backend, state: State(index: index, watermark: watermark), posts: postIndex, postWatermark: postWatermark,
            postCodec: postCodec)
        if adopted == nil {
            // A row was unusable: read again and take the rows one by one, rejecting the bad ones.
            do { engine.apply(try await store.embeddings()) } catch { throw .store(error) }
        }
        engine.state.write { $0.lastSync = Date() }
        let indexTime = ContinuousClock.now - started
        do {
            if let run = try await activeRun { engine.switchRun(to: run) }
        } catch {
            // `async let` forgets the error type; only the store throws here.
            throw .store(error as? ProfileStoreError ?? ProfileStoreError(.queryFailed, "\(error)"))
        }
        var report = StartReport(fromSnapshot: false, snapshotRejection: rejection, duration: ContinuousClock.now - started)
        if configuration.snapshotDirectory != nil {
            do { report.snapshotWritten = try await engine.saveSnapshot() } catch {
                logger.warning("engine snapshot not written: \(error.message)")
            }
        }
        engine.state.write { $0.start = report }
        logger.info(
            "engine started",
            metadata: [
                "creators": "\(engine.status.creators)", "posts": "\(engine.postCount)", "run": "\(engine.status.cohortRunID.map(String.init) ?? "none")",
                "read": "\(readTime)", "index": "\(indexTime - readTime)", "partition": "\(ContinuousClock.now - started - indexTime)",
            ])
        return engine
    }

    /// What the engine holds now.
    public var status: Status {
        let longestWrite = state.longestWrite
        return state.read { state in
            Status(
                creators: state.index.count, cohortRunID: state.run?.record.id, cohorts: state.run?.cohorts.count ?? 0,
                watermark: state.watermark, lastSync: state.lastSync, rejectedRows: state.rejectedRows, longestWriteLock: longestWrite)
        }
    }

    /// The active cohort run and its cohorts, or nil when there is none.
    public var activeRun: (record: CohortRunRecord, cohorts: [Cohort])? {
        state.read { state in state.run.map { ($0.record, $0.cohorts) } }
    }

    /// Posts with an embedding in memory.
    public var postCount: Int { posts.read { $0.index.count } }

    /// Bytes held per post in memory: the code, the terms, and everything.
    public var postBytes: (code: Double, terms: Double, total: Double) { posts.read { $0.index.bytesPerPost } }

    /// Whether `userID` has an embedding in the index.
    public func contains(_ userID: Int64) -> Bool { state.read { $0.index.contains(userID) } }

    /// The stored (unit) embedding of `userID`.
    public func embedding(of userID: Int64) -> [Float]? { state.read { try? $0.index.vector(for: userID) } }

    /// The cohort of `userID` in the active run and its similarity to the cohort's centroid.
    public func cohort(of userID: Int64) -> (cohort: Cohort, similarity: Float)? {
        state.read { state in
            guard let run = state.run, let id = run.partition.cohort(of: userID), let vector = try? state.index.vector(for: userID) else { return nil }
            let centroid = run.partition.centroids.row(id)
            return (run.cohorts[id], zip(vector, centroid).reduce(0) { $0 + $1.0 * $1.1 })
        }
    }

    // MARK: Similar creators

    /// The `k` creators most similar to `vector` (any length; it is normalised), best first.
    ///
    /// - Parameters:
    ///   - mode: exact, or over the `nprobe` nearest cohorts of the active run.
    ///   - cohort: only members of this cohort of the active run.
    ///   - excluding: creators never returned.
    /// - Throws: `.invalidInput` for k ≤ 0, nprobe ≤ 0, a bad vector or an unknown cohort; `.notReady`
    ///   when the index is empty.
    public func similarCreators(
        to vector: [Float], k: Int, mode: SearchMode = .exact, cohort: Int? = nil,
        excluding: Set<Int64> = []
    ) throws(PersonalizationError) -> [Neighbor] {
        guard k > 0 else { throw PersonalizationError(.invalidInput, "k must be positive, got \(k)") }
        if case .partitioned(let nprobe) = mode, nprobe <= 0 {
            throw PersonalizationError(.invalidInput, "nprobe must be positive, got \(nprobe)")
        }
        let unit: [Float]
        do { unit = try UnitVector.normalized(vector) } catch { throw PersonalizationError(.invalidInput, "query vector: \(error.message)") }
        guard unit.count == store.configuration.dimensions else {
            throw PersonalizationError(.invalidInput, "the query has \(unit.count) dimensions; the index \(store.configuration.dimensions)")
        }
        return try state.read { (state) throws(PersonalizationError) -> [Neighbor] in
            guard !state.index.isEmpty else { throw PersonalizationError(.notReady, "no creator has an embedding yet") }
            if let cohort {
                guard let run = state.run else { throw PersonalizationError(.notReady, "there is no cohort run yet: run `onering cohorts rebuild`") }
                guard (0..<run.partition.k).contains(cohort) else {
                    throw PersonalizationError(.unknownCohort, "cohort \(cohort) is not in run \(run.record.id) (0..<\(run.partition.k))")
                }
            }
            // Exact searches of every creator go to the index's own int8 codes when it has them (their
            // bound re-rank is the index's); a cohort filter or a partitioned search needs the partition.
            if let run = state.run, cohort != nil || mode != .exact || !configuration.int8Scoring {
                // Exact over the scanned cohorts: every cohort for an exact search (a quarter of the
                // bytes of a float32 scan), the nprobe nearest for a partitioned one.
                var nprobe = run.partition.k
                if case .partitioned(let probes) = mode { nprobe = probes }
                return unit.withUnsafeBufferPointer { query in
                    run.partition.search(
                        query: query, k: k, nprobe: nprobe, cohort: cohort, excluded: excluding, index: state.index,
                        threads: self.configuration.searchThreads, backend: self.backend)
                }
            }
            let wanted = min(k + excluding.count, state.index.count)
            do throws(VectorIndexError) {
                return Array(try state.index.search(vector: unit, k: wanted).filter { !excluding.contains($0.id) }.prefix(k))
            } catch {
                throw .index(error)
            }
        }
    }

    /// Answers a batch of exact searches with one batched search of the index (an int8 GEMM and
    /// an exact re-rank with int8 codes, a float32 GEMM otherwise). If the batch fails, each query
    /// is searched alone, so a query that cannot be answered fails only its own request.
    static func searchBatch(_ requests: [SearchCoalescer.Request], in state: ReadWriteLock<State>) -> [Result<[Neighbor], PersonalizationError>] {
        let dimensions = requests[0].query.count
        let queries = Matrix(columns: dimensions, values: requests.flatMap(\.query))
        let widest = requests.map { $0.k + $0.excluding.count }.max()!
        return state.read { (state) -> [Result<[Neighbor], PersonalizationError>] in
            guard !state.index.isEmpty else { return requests.map { _ in .failure(PersonalizationError(.notReady, "no creator has an embedding yet")) } }
            func answer(_ found: [Neighbor], _ request: SearchCoalescer.Request) -> [Neighbor] {
                Array(found.lazy.filter { !request.excluding.contains($0.id) }.prefix(request.k))
            }
            if let lists = try? state.index.search(batch: queries, k: min(widest, state.index.count)) {
                return zip(lists, requests).map { .success(answer($0, $1)) }
            }
            return requests.map { request in
                Result { () throws(VectorIndexError) in
                    try state.index.search(vector: request.query, k: min(request.k + request.excluding.count, state.index.count))
                }
                .mapError { .index($0) }
                .map { answer($0, request) }
            }
        }
    }

    /// As ``similarCreators(to:k:mode:cohort:excluding:)``, off the caller's thread: exact searches
    /// without a cohort filter that run at the same time are answered together by one batched
    /// GEMM (see `SearchCoalescer`); the others run on the compute queue.
    public func nearestCreators(
        to vector: [Float], k: Int, mode: SearchMode = .exact, cohort: Int? = nil,
        excluding: Set<Int64> = []
    ) async throws(PersonalizationError) -> [Neighbor] {
        guard let coalescer, mode == .exact, cohort == nil, k > 0 else {
            return try await Offload.run { () throws(PersonalizationError) in
                try self.similarCreators(to: vector, k: k, mode: mode, cohort: cohort, excluding: excluding)
            }
        }
        let unit: [Float]
        do { unit = try UnitVector.normalized(vector) } catch { throw PersonalizationError(.invalidInput, "query vector: \(error.message)") }
        guard unit.count == store.configuration.dimensions else {
            throw PersonalizationError(.invalidInput, "the query has \(unit.count) dimensions; the index \(store.configuration.dimensions)")
        }
        return try await coalescer.search(query: unit, k: k, excluding: excluding)
    }

    /// As ``similarCreators(toUser:k:mode:cohort:excluding:)``, through ``nearestCreators(to:k:mode:cohort:excluding:)``.
    public func nearestCreators(
        toUser userID: Int64, k: Int, mode: SearchMode = .exact, cohort: Int? = nil,
        excluding: Set<Int64> = []
    ) async throws(PersonalizationError) -> [Neighbor] {
        guard let vector = embedding(of: userID) else {
            throw PersonalizationError(.unknownUser, "creator \(userID) has no embedding")
        }
        return try await nearestCreators(to: vector, k: k, mode: mode, cohort: cohort, excluding: excluding.union([userID]))
    }

    /// Searches answered and batches run by the coalescer since start (zero without one).
    public var coalescedSearches: (searches: Int, batches: Int) {
        coalescer.map { ($0.counters.searches, $0.counters.batches) } ?? (0, 0)
    }

    /// The `k` creators most similar to `userID`, leaving the creator out.
    ///
    /// - Throws: `.unknownUser` when the creator has no embedding; as ``similarCreators(to:k:mode:cohort:excluding:)``.
    public func similarCreators(
        toUser userID: Int64, k: Int, mode: SearchMode = .exact, cohort: Int? = nil,
        excluding: Set<Int64> = []
    ) throws(PersonalizationError) -> [Neighbor] {
        guard let vector = embedding(of: userID) else {
            throw PersonalizationError(.unknownUser, "creator \(userID) has no embedding")
        }
        return try similarCreators(to: vector, k: k, mode: mode, cohort: cohort, excluding: excluding.union([userID]))
    }
}

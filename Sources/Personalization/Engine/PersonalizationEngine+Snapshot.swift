internal import Embedding
internal import Foundation
internal import Logging
internal import ProfileStore
internal import VectorIndex
internal import VectorMath

extension PersonalizationEngine {
    /// How the engine started.
    public struct StartReport: Sendable {
        /// Whether it started from its snapshot (then caught up) rather than reading the store in full.
        public var fromSnapshot = false
        /// Why the snapshot was not used, when one is configured and it was not.
        public var snapshotRejection: String?
        /// From the call to the engine being ready (caught up with the store), not counting the
        /// snapshot written after a full read (``snapshotWritten``).
        public var duration: Duration = .zero
        /// What catching up with the change feeds applied, for a start from the snapshot.
        public var caughtUp: SyncReport?
        /// How long writing the snapshot took, after a start that read the store in full.
        public var snapshotWritten: Duration?
    }

    /// How the engine started.
    public var startReport: StartReport { state.read { $0.start } }

    /// Writes the engine's snapshot to its `snapshotDirectory` (see ``Configuration/snapshotDirectory``):
    /// every embedding and its int8 codes, the post index, and where the change feeds resume.
    /// The index is read as it is now, so the follower's next change copies what it changes while
    /// the files are written; `onering serve` calls it as it stops.
    ///
    /// - Returns: how long it took.
    /// - Throws: `.invalidInput` without a snapshot directory; `.store`; `.snapshot` when a file cannot be written.
    @discardableResult
    public func saveSnapshot() async throws(PersonalizationError) -> Duration {
        guard let directory = configuration.snapshotDirectory else { throw PersonalizationError(.invalidInput, "no snapshot directory is configured") }
        let identity: ProfileStore.SnapshotIdentity
        do { identity = try await store.snapshotIdentity() } catch { throw .store(error) }
        let started = ContinuousClock.now
        let (index, watermark) = state.read { ($0.index, $0.watermark) }
        let (posts, postWatermark) = self.posts.read { ($0.index, $0.watermark) }
        let model = embedder.modelID
        try await Offload.run { () throws(PersonalizationError) in
            do throws(EngineSnapshot.Rejection) {
                try EngineSnapshot.save(
                    index: index, watermark: watermark, posts: posts, postWatermark: postWatermark, model: model, identity: identity, to: directory)
            } catch {
                throw PersonalizationError(.snapshot, error.description)
            }
        }
        let elapsed = ContinuousClock.now - started
        logger.info(
            "engine snapshot written", metadata: ["directory": "\(directory)", "creators": "\(index.count)", "posts": "\(posts.count)", "took": "\(elapsed)"])
        return elapsed
    }

    /// The engine from the snapshot in `directory`, caught up with the store; or why the
    /// snapshot is not usable (the caller then reads the store in full).
    static func startFromSnapshot(
        in directory: String, store: ProfileStore, embedder: any Embedder, configuration: Configuration,
        indexConfiguration: VectorIndex.Configuration, backend: BLASBackend, logger: Logger, started: ContinuousClock.Instant
    ) async throws(PersonalizationError) -> Result<PersonalizationEngine, EngineSnapshot.Rejection> {
        let identity: ProfileStore.SnapshotIdentity
        do { identity = try await store.snapshotIdentity() } catch { return .failure(EngineSnapshot.Rejection(description: error.message)) }
        // The active run's rows and the post codec come on connections of their own while the files
        // are read; the run's partition is built from the index while the posts are still read.
        let runTask = Task { () async -> Result<LoadedRun?, ProfileStoreError> in
            do throws(ProfileStoreError) { return .success(try await Self.loadRun(from: store)) } catch { return .failure(error) }
        }
        async let projection = store.postProjection(model: embedder.modelID)
        let loaded: (snapshot: EngineSnapshot, extra: Result<ActiveRun?, ProfileStoreError>)
        do {
            loaded = try await EngineSnapshot.load(
                from: directory, identity: identity, model: embedder.modelID, dimensions: store.configuration.dimensions,
                configuration: indexConfiguration
            ) { index in
                do throws(ProfileStoreError) {
                    guard let run = try await runTask.value.get() else { return .success(nil) }
                    let partition = await Offload.run { Self.partition(of: index, by: run, backend: backend) }
                    return .success(ActiveRun(record: run.record, cohorts: run.cohorts, partition: partition))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            runTask.cancel()
            return .failure(error)
        }
        let snapshot = loaded.snapshot
        let filesRead = ContinuousClock.now - started
        let codec: PostCodec
        let run: ActiveRun?
        do {
            codec = Self.codec(try await projection)
            run = try loaded.extra.get()
        } catch {
            // `async let` forgets the error type; only the store throws here.
            throw .store(error as? ProfileStoreError ?? ProfileStoreError(.queryFailed, "\(error)"))
        }
        // Codes of the other kind than the model's codec would be refused one by one by the feed.
        let projectedCodec = if case .projected = codec { true } else { false }
        if let projected = snapshot.posts.projected, projected != projectedCodec {
            return .failure(EngineSnapshot.Rejection(description: "the snapshot's post codes are of another kind than the model's codec"))
        }
        var state = State(index: snapshot.index, watermark: ChangeWatermark(transactionID: snapshot.meta.watermark))
        state.run = run
        let engine = PersonalizationEngine(
            store: store, embedder: embedder, configuration: configuration, logger: logger, backend: backend, state: state, posts: snapshot.posts,
            postWatermark: ChangeWatermark(transactionID: snapshot.meta.postWatermark), postCodec: codec)
        let caughtUp = try await engine.synchronize()
        let report = StartReport(fromSnapshot: true, duration: ContinuousClock.now - started, caughtUp: caughtUp)
        engine.state.write { $0.start = report }
        logger.info(
            "engine started from its snapshot",
            metadata: [
                "creators": "\(engine.status.creators)", "posts": "\(engine.postCount)", "run": "\(engine.status.cohortRunID.map(String.init) ?? "none")",
                "files": "\(filesRead)", "caught up": "\(caughtUp.upserted) written, \(caughtUp.deleted) deleted, \(caughtUp.posts) posts",
                "took": "\(report.duration)", "saved": "\(snapshot.meta.savedAt)",
            ])
        return .success(engine)
    }
}

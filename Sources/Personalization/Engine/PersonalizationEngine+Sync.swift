internal import Foundation
internal import Logging
internal import ProfileStore
internal import VectorIndex
internal import VectorMath

extension PersonalizationEngine {
    /// Follows the store until the task is cancelled: every `pollInterval` it applies the
    /// change feed and picks up a newly active cohort run. A lost database connection
    /// stops nothing but the follower's reads; it retries with backoff (up to 5 s) and
    /// catches up from its watermark, while searches keep answering from memory.
    public func follow() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await synchronize()
                if failures > 0 { logger.info("change feed: store reachable again, caught up") }
                failures = 0
            } catch {
                failures += 1
                if failures == 1 || failures.isMultiple(of: 20) {
                    logger.warning("change feed: sync failed (attempt \(failures)), searches continue from memory: \(error.message)")
                }
            }
            let pause: Duration =
                failures == 0
                ? configuration.pollInterval
                : min(.seconds(5), configuration.pollInterval * (1 << min(failures, 5)))
            try? await Task.sleep(for: pause)
        }
    }

    /// Applies the change feed since the last sync and switches to a newly active cohort run.
    @discardableResult
    public func synchronize() async throws(PersonalizationError) -> SyncReport {
        let watermark = state.read { $0.watermark }
        let changes: EmbeddingChanges
        let activeRunID: Int64?
        do {
            changes = try await store.embeddings(changedSince: watermark)
            activeRunID = try await store.activeCohortRunID()
        } catch {
            throw .store(error)
        }
        var report = apply(changes)
        // The next read starts where this one ended: an idle feed reads nothing again.
        state.write { $0.watermark = max($0.watermark, changes.watermark) }
        let postChanges: PostEmbeddingChanges
        do { postChanges = try await store.postEmbeddings(model: embedder.modelID, changedSince: posts.read { $0.watermark }) } catch { throw .store(error) }
        report.posts = apply(postChanges)
        if activeRunID != state.read({ $0.run?.record.id }) {
            do { try await switchRun(to: activeRunID) } catch { throw .store(error) }
            report.switchedRun = true
        }
        do { try await followProfileChanges() } catch { throw .store(error) }
        state.write { $0.lastSync = Date() }
        return report
    }

    /// Applies changes read from the store: deletions first, then writes, in slices of
    /// ``applySlice`` rows per hold of the write lock, so searches wait for a slice, never for a
    /// whole catch-up. A row that is not a usable vector (wrong dimension, NaN, ∞, zero) is
    /// rejected and logged; the index keeps what it had for that creator.
    @discardableResult
    func apply(_ changes: EmbeddingChanges) -> SyncReport {
        var report = SyncReport()
        let dimensions = store.configuration.dimensions
        let rowsMatch = changes.vectors.columns == dimensions && changes.vectors.rows == changes.userIDs.count
        state.write { state in
            for userID in changes.deletedUserIDs where state.index.contains(userID) {
                state.appliedRows[userID] = nil
                try? state.index.remove(id: userID)
                state.run?.partition.remove(id: userID)
                state.changedDuringSwitch?.insert(userID)
                report.deleted += 1
            }
        }
        guard rowsMatch else {
            report.rejected = changes.userIDs.count
            logger.error("change feed: rejected \(changes.userIDs.count) embeddings of dimension \(changes.vectors.columns); the index holds \(dimensions)")
            state.write { $0.rejectedRows += report.rejected }
            return report
        }
        let fingerprints = changes.vectors.withUnsafeBufferPointer { values in
            (0..<changes.userIDs.count).map { row in
                Checksum64.of(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: values[row * dimensions..<(row + 1) * dimensions])))
            }
        }
        for start in stride(from: 0, to: changes.userIDs.count, by: Self.applySlice) {
            state.write { state in
                for row in start..<min(start + Self.applySlice, changes.userIDs.count) {
                    let userID = changes.userIDs[row]
                    if state.appliedRows[userID] == fingerprints[row], state.index.contains(userID) {
                        report.unchanged += 1
                        continue
                    }
                    do throws(VectorIndexError) {
                        try state.index.upsert(id: userID, vector: changes.vectors.row(row))
                    } catch {
                        report.rejected += 1
                        logger.error("change feed: rejected the embedding of creator \(userID): \(error.message)")
                        continue
                    }
                    report.upserted += 1
                    state.appliedRows[userID] = fingerprints[row]
                    state.changedDuringSwitch?.insert(userID)
                    if state.run != nil, let unit = try? state.index.vector(for: userID) {
                        unit.withUnsafeBufferPointer { state.run!.partition.upsert(id: userID, unit: $0, cohort: nil, backend: backend) }
                    }
                }
            }
        }
        state.write { $0.rejectedRows += report.rejected }
        if report.upserted + report.deleted > 0 { invalidateContexts() }
        return report
    }

    /// Applies post embeddings read from the store, deletions first, in slices per hold of the
    /// lock; returns the posts written (a row the index holds as it is is left alone; a code that
    /// does not decode is logged and skipped).
    func apply(_ changes: PostEmbeddingChanges) -> Int {
        let removed = posts.write { posts in changes.deletedPostIDs.filter { posts.index.remove($0) }.count }
        var written = 0
        for start in stride(from: 0, to: changes.entries.count, by: Self.applySlice) {
            posts.write { posts in
                for entry in changes.entries[start..<min(start + Self.applySlice, changes.entries.count)] where !posts.index.holds(entry) {
                    if posts.index.upsert(entry) {
                        written += 1
                    } else {
                        logger.error("change feed: rejected the embedding of post \(entry.postID): its code does not decode")
                    }
                }
            }
        }
        posts.write { $0.watermark = max($0.watermark, changes.watermark) }
        if written + removed > 0 { invalidateContexts() }
        return written
    }

    /// Rows of the change feed applied per hold of the write lock.
    static let applySlice = 1_024

    /// A cohort run read from the store, ready to partition the index by.
    struct LoadedRun: Sendable {
        var record: CohortRunRecord
        var cohorts: [Cohort]
        var centroids: Matrix<Float>
        var cohortOf: [Int64: Int]
    }

    /// Loads run `runID` (or none) and re-partitions the index by its cohorts.
    func switchRun(to runID: Int64?) async throws(ProfileStoreError) {
        guard let runID else {
            state.write { $0.run = nil }
            invalidateContexts()
            return
        }
        guard let record = try await store.cohortRun(id: runID) else { return }
        if let run = try await Self.loadRun(record, from: store, logger: logger) { switchRun(to: run) }
    }

    /// The active run of `store`, or nil when there is none (or it is unusable).
    static func loadRun(from store: ProfileStore) async throws(ProfileStoreError) -> LoadedRun? {
        guard let record = try await store.activeCohortRun() else { return nil }
        return try await loadRun(record, from: store, logger: nil)
    }

    /// `record`'s run with its cohorts and members; nil when it has no usable centroids.
    static func loadRun(_ record: CohortRunRecord, from store: ProfileStore, logger: Logger?) async throws(ProfileStoreError) -> LoadedRun? {
        let records = try await store.cohorts(runID: record.id)
        let members = try await store.cohortMembers(runID: record.id)
        let dimensions = store.configuration.dimensions
        guard !records.isEmpty, records.allSatisfy({ $0.centroid.count == dimensions }) else {
            logger?.error("cohort run \(record.id) has no usable centroids; keeping the previous run")
            return nil
        }
        // A cohort whose traits do not decode (written by a newer build) still partitions the index.
        let cohorts = records.map { record in
            (try? Cohort(record: record)) ?? Cohort(id: record.cohort, label: record.label, terms: record.terms, size: record.size, traits: .empty)
        }
        return LoadedRun(
            record: record, cohorts: cohorts, centroids: Matrix(columns: dimensions, values: records.flatMap(\.centroid)),
            cohortOf: members.cohortByUser())
    }

    /// Re-partitions the index by `run`'s cohorts and makes it the active run.
    ///
    /// The partition is built outside the write lock, from slices of the index read under
    /// short read locks, while the change feed records which creators it writes meanwhile; only
    /// those are redone under the write lock, at the swap. Searches never wait for the build.
    func switchRun(to run: LoadedRun) {
        let (userIDs, count) = state.write { state in
            state.changedDuringSwitch = []
            return (state.index.allIDs, state.index.count)
        }
        var partition = Self.emptyPartition(for: run, creators: count)
        for start in stride(from: 0, to: userIDs.count, by: Self.applySlice) {
            state.read { state in
                for userID in userIDs[start..<min(start + Self.applySlice, userIDs.count)] {
                    Self.place(userID, in: &partition, index: state.index, run: run, backend: backend)
                }
            }
        }
        state.write { state in
            for userID in state.changedDuringSwitch ?? [] {
                if let vector = try? state.index.vector(for: userID) {
                    vector.withUnsafeBufferPointer { partition.upsert(id: userID, unit: $0, cohort: run.cohortOf[userID], backend: backend) }
                } else {
                    partition.remove(id: userID)
                }
            }
            state.changedDuringSwitch = nil
            state.run = ActiveRun(record: run.record, cohorts: run.cohorts, partition: partition)
        }
        invalidateContexts()
        logger.info("cohort run \(run.record.id) is active: \(run.centroids.rows) cohorts")
    }

    /// The partition of every creator of `index` by `run`'s cohorts, in one pass (for an index
    /// nothing else holds yet: a start from the snapshot).
    static func partition(of index: borrowing VectorIndex, by run: LoadedRun, backend: BLASBackend) -> CohortPartition {
        var partition = emptyPartition(for: run, creators: index.count)
        for userID in index.allIDs { place(userID, in: &partition, index: index, run: run, backend: backend) }
        return partition
    }

    /// A partition by `run`'s cohorts with room for its members and a share of `creators` written since.
    private static func emptyPartition(for run: LoadedRun, creators: Int) -> CohortPartition {
        let k = run.centroids.rows
        var sizes = [Int](repeating: 0, count: k)
        for cohort in run.cohortOf.values where cohort < k { sizes[cohort] += 1 }
        let spare = max(0, creators - run.cohortOf.count) / max(k, 1) + 16
        return CohortPartition(centroids: run.centroids, expectedSizes: sizes.map { $0 + spare })
    }

    /// Puts `userID` into `partition`: a member of `run` with int8 codes in the index as a copy of
    /// them, anyone else quantised into its stored or nearest cohort.
    private static func place(_ userID: Int64, in partition: inout CohortPartition, index: borrowing VectorIndex, run: LoadedRun, backend: BLASBackend) {
        if let cohort = run.cohortOf[userID], cohort < run.centroids.rows,
            index.withCodes(of: userID, { partition.upsert(id: userID, codes: $0, row: $1, cohort: cohort) }) != nil
        {
            return
        }
        guard let vector = try? index.vector(for: userID) else { return }
        vector.withUnsafeBufferPointer { partition.upsert(id: userID, unit: $0, cohort: run.cohortOf[userID], backend: backend) }
    }
}

internal import Dispatch
internal import Foundation
public import ProfileStore
internal import VectorMath

/// The `cohorts rebuild` batch job: clusters every creator with spherical k-means,
/// describes each cohort, and writes the run, switching to it atomically.
///
/// Warm-started from the active run's centroids when k is unchanged, and matched to
/// them (Hungarian) either way, so cohort ids stay stable when the data barely change.
/// One rebuild at a time per store: a second one is refused while the first holds the lock.
public struct CohortRebuild: Sendable {
    /// How many cohorts.
    public enum KChoice: Sendable, Equatable {
        /// Exactly this many.
        case fixed(Int)
        /// The candidate with the best silhouette on a sample (see `KSelection`).
        case auto
    }

    /// The rebuild's inputs.
    public struct Parameters: Sendable {
        /// Cohorts to find. Default 64.
        public var k: KChoice
        /// Seed of every random choice. Default 1.
        public var seed: UInt64
        /// k-means restarts when not warm-started (the best objective is kept). Default 1.
        public var restarts: Int
        /// Most Lloyd iterations. Default 25.
        public var maxIterations: Int
        /// Start from the active run's centroids when it has the same k. Default true.
        public var warmStart: Bool
        /// Terms in a label. Default 3.
        public var labelTerms: Int
        /// Distinctive terms stored per cohort. Default 10.
        public var terms: Int

        /// Parameters with the defaults above.
        public init(
            k: KChoice = .fixed(64), seed: UInt64 = 1, restarts: Int = 1, maxIterations: Int = 25, warmStart: Bool = true,
            labelTerms: Int = 3, terms: Int = 10
        ) {
            self.k = k
            self.seed = seed
            self.restarts = restarts
            self.maxIterations = maxIterations
            self.warmStart = warmStart
            self.labelTerms = labelTerms
            self.terms = terms
        }
    }

    /// What a rebuild did.
    public struct Report: Sendable, Codable {
        /// One cohort of the new run.
        public struct CohortSummary: Sendable, Codable {
            public var id: Int
            public var label: String
            public var size: Int
        }

        /// A candidate of `--k auto` and its mean silhouette.
        public struct KScore: Sendable, Codable {
            public var k: Int
            public var silhouette: Double
        }

        /// The new (active) run.
        public var runID: Int64
        public var k: Int
        public var creators: Int
        /// Mean cosine similarity to the centroids (higher is tighter).
        public var objective: Double
        /// k · Σ nᵢ² / N²: 1 when cohorts are equal in size.
        public var imbalance: Double
        /// Share of creators of the previous run whose cohort changed; nil without a previous run.
        public var churn: Double?
        public var iterations: Int
        public var converged: Bool
        public var warmStarted: Bool
        /// The candidates `--k auto` compared, best first (empty for a fixed k).
        public var kScores: [KScore]
        public var cohorts: [CohortSummary]
        /// Seconds per stage: read, chooseK, cluster, describe, write, total.
        public var seconds: [String: Double]
    }

    /// A stage of the rebuild, for progress.
    public enum Stage: String, Sendable {
        case reading, choosingK = "choosing k", clustering, describing, writing
    }

    /// The store to rebuild.
    public let store: ProfileStore
    /// The parameters.
    public let parameters: Parameters

    /// A rebuild of `store`'s cohorts.
    public init(store: ProfileStore, parameters: Parameters = Parameters()) {
        self.store = store
        self.parameters = parameters
    }

    /// Runs the rebuild; `progress` hears of each stage as it starts.
    ///
    /// - Throws: `.rebuildInProgress` when another rebuild holds the lock; `.invalidInput` for
    ///   k ≤ 0, restarts or iterations ≤ 0, or more cohorts than creators; `.notReady` without
    ///   embeddings; `.store` when the store fails (the previous run stays active).
    @discardableResult
    public func run(progress: @Sendable (Stage) -> Void = { _ in }) async throws(PersonalizationError) -> Report {
        if case .fixed(let k) = parameters.k, k <= 0 { throw PersonalizationError(.invalidInput, "k must be positive, got \(k)") }
        guard parameters.restarts > 0, parameters.maxIterations > 0 else {
            throw PersonalizationError(.invalidInput, "restarts and iterations must be positive")
        }
        let lock: StoreLock?
        do { lock = try await store.tryLock("cohorts.rebuild") } catch { throw .store(error) }
        guard let lock else {
            throw PersonalizationError(.rebuildInProgress, "another cohort rebuild is running on this store; try again when it has finished")
        }
        do {
            let report = try await rebuild(progress: progress)
            await lock.release()
            return report
        } catch {
            await lock.release()
            throw error
        }
    }

    private func rebuild(progress: @Sendable (Stage) -> Void) async throws(PersonalizationError) -> Report {
        let started = Date()
        var seconds: [String: Double] = [:]
        var mark = Date()
        func lap(_ stage: String) {
            seconds[stage] = Date().timeIntervalSince(mark)
            mark = Date()
        }
        let backend: BLASBackend
        do { backend = try BLASBackend.shared() } catch { throw .computation(error) }

        progress(.reading)
        let embeddings: EmbeddingChanges
        let previous: (record: CohortRunRecord, centroids: Matrix<Float>, members: CohortMembers)?
        let model: String
        do {
            embeddings = try await store.embeddings()
            if let record = try await store.activeCohortRun() {
                let cohorts = try await store.cohorts(runID: record.id)
                previous = (
                    record, Matrix(columns: store.configuration.dimensions, values: cohorts.flatMap(\.centroid)),
                    try await store.cohortMembers(runID: record.id)
                )
            } else {
                previous = nil
            }
            model = try await store.embeddingModel() ?? "unknown"
        } catch {
            throw .store(error)
        }
        let n = embeddings.userIDs.count
        guard n > 0 else { throw PersonalizationError(.notReady, "no creator has an embedding yet: run `onering embed` first") }
        lap("read")

        var kScores: [KSelection.Score] = []
        let k: Int
        switch parameters.k {
        case .fixed(let fixed):
            guard fixed <= n else { throw PersonalizationError(.invalidInput, "k = \(fixed) but there are only \(n) creators with embeddings") }
            k = fixed
        case .auto:
            progress(.choosingK)
            let candidates = KSelection.candidates(creators: n)
            guard !candidates.isEmpty else {
                throw PersonalizationError(.invalidInput, "--k auto needs at least 40 creators with embeddings; there are \(n): give -k")
            }
            let seed = parameters.seed
            let vectors = embeddings.vectors
            do {
                kScores = try await Offload.run { () throws(VectorMathError) in
                    try KSelection.scores(vectors, candidates: candidates, seed: seed, backend: backend)
                }
            } catch {
                throw .computation(error)
            }
            k = kScores[0].k
        }
        lap("chooseK")

        progress(.clustering)
        let warm = parameters.warmStart && previous?.centroids.rows == k
        var kmeans = KMeans.Parameters(k: k, maxIterations: parameters.maxIterations, seed: parameters.seed, restarts: parameters.restarts)
        if warm { kmeans.initialCentroids = previous!.centroids }
        let vectors = embeddings.vectors
        let kmeansParameters = kmeans
        var result: KMeans.Result
        do {
            result = try await Offload.run { () throws(VectorMathError) in try KMeans.run(vectors, parameters: kmeansParameters, backend: backend) }
        } catch {
            throw PersonalizationError(.invalidInput, "k-means: \(error.message)", underlying: error)
        }
        if let previous, !warm { result = KMeans.matched(result, toPrevious: previous.centroids, backend: backend) }
        let churn = previous.map { Self.churn(previous: $0.members, userIDs: embeddings.userIDs, assignments: result.assignments) }
        lap("cluster")

        progress(.describing)
        let (labels, terms, traits) = try await describe(userIDs: embeddings.userIDs, result: result)
        lap("describe")

        progress(.writing)
        let finalStats = result.stats.last
        var report = Report(
            runID: 0, k: k, creators: n, objective: result.objective, imbalance: finalStats?.imbalance ?? 1, churn: churn,
            iterations: result.iterations, converged: result.converged, warmStarted: warm,
            kScores: kScores.map { .init(k: $0.k, silhouette: $0.silhouette) },
            cohorts: (0..<k).map { .init(id: $0, label: labels[$0], size: result.counts[$0]) }, seconds: seconds
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        let parametersJSON = Self.json(
            encoder,
            RecordedParameters(
                k: k, kChoice: parameters.k == .auto ? "auto" : "fixed", seed: parameters.seed, restarts: parameters.restarts,
                maxIterations: parameters.maxIterations, warmStart: warm, kScores: report.kScores
            ))
        let cohorts = (0..<k).map { c in
            CohortRecord(
                cohort: c, centroid: result.centroids.row(c), size: result.counts[c], label: labels[c], terms: terms[c],
                traitsJSON: Self.json(encoder, traits[c]))
        }
        let run = NewCohortRun(
            model: model, parametersJSON: parametersJSON, statsJSON: Self.json(encoder, report), objective: result.objective,
            iterations: result.iterations, cohorts: cohorts,
            members: CohortMembers(userIDs: embeddings.userIDs, cohorts: result.assignments, similarities: result.similarities)
        )
        do { report.runID = try await store.writeCohortRun(run) } catch { throw .store(error) }
        lap("write")
        report.seconds = seconds
        report.seconds["total"] = Date().timeIntervalSince(started)
        return report
    }

    /// Labels, terms and traits of each cohort, from one pass over bios and posts.
    private func describe(userIDs: [Int64], result: KMeans.Result) async throws(PersonalizationError) -> ([String], [[String]], [CohortTraits]) {
        let k = result.centroids.rows
        var cohortOf: [Int64: Int] = [:]
        cohortOf.reserveCapacity(userIDs.count)
        for (row, userID) in userIDs.enumerated() { cohortOf[userID] = Int(result.assignments[row]) }
        var similaritySums = [Double](repeating: 0, count: k)
        for (row, cohort) in result.assignments.enumerated() { similaritySums[Int(cohort)] += Double(result.similarities[row]) }
        let meanSimilarities = (0..<k).map { similaritySums[$0] / Double(max(result.counts[$0], 1)) }
        do {
            let asOf = try await store.dataClock() ?? Date()
            // One profiler per core, each fed its slice of every page off the cooperative threads, merged at the end.
            let workers = ProfilerSlots(
                Array(
                    repeating: CohortProfiler(k: k, cohortOf: cohortOf, parameters: .init(asOf: asOf)),
                    count: max(1, ProcessInfo.processInfo.activeProcessorCount)))
            for (userID, bio) in try await store.bios() { workers.slots[0].addBio(userID: userID, bio: bio) }
            try await store.forEachPostPage { posts in
                await Offload.run { workers.add(posts) }
            }
            var profiler = workers.slots[0]
            for other in workers.slots.dropFirst() { profiler.merge(other) }
            let terms = profiler.distinctiveTerms(count: parameters.terms)
            let labels = terms.enumerated().map { c, terms in
                terms.isEmpty ? "cohort \(c)" : terms.prefix(parameters.labelTerms).joined(separator: " · ")
            }
            return (labels, terms, profiler.traits(sizes: result.counts, meanSimilarities: meanSimilarities))
        } catch {
            throw .store(error)
        }
    }

    /// The share of the previous run's members still present whose cohort changed.
    static func churn(previous: CohortMembers, userIDs: [Int64], assignments: [Int32]) -> Double {
        let before = previous.cohortByUser()
        var compared = 0, changed = 0
        for (row, userID) in userIDs.enumerated() {
            guard let old = before[userID] else { continue }
            compared += 1
            if old != Int(assignments[row]) { changed += 1 }
        }
        return compared == 0 ? 0 : Double(changed) / Double(compared)
    }

    private struct RecordedParameters: Encodable {
        var k: Int
        var kChoice: String
        var seed: UInt64
        var restarts: Int
        var maxIterations: Int
        var warmStart: Bool
        var kScores: [Report.KScore]
    }

    private static func json(_ encoder: JSONEncoder, _ value: some Encodable) -> String {
        // Our own plain structs of numbers and strings always encode.
        String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}

/// Profilers that slices of a page go to at once, one per core (each slot is touched by one worker).
private final class ProfilerSlots: @unchecked Sendable {
    var slots: [CohortProfiler]

    init(_ slots: [CohortProfiler]) { self.slots = slots }

    func add(_ posts: [PostRecord]) {
        let count = slots.count
        slots.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: count) { worker in
                for post in posts[(worker * posts.count / count)..<((worker + 1) * posts.count / count)] { slots[worker].addPost(post) }
            }
        }
    }
}

public import Embedding
internal import Foundation
public import Logging
public import ProfileStore
internal import Synchronization

/// Runs the jobs queued in the store: cohort rebuilds and embedding backfills, so that
/// the HTTP service (or `onering jobs enqueue`) can start them and anyone can read how they went.
///
/// At most one job of each kind runs at a time across every process (a store lock per kind);
/// jobs are claimed with `FOR UPDATE SKIP LOCKED`. A running job records its progress with
/// a heartbeat; a job whose runner died (no heartbeat for `staleAfter`) is queued again, and
/// failed after `maxAttempts` starts.
public struct JobRunner: Sendable {
    /// Rebuild the cohorts. Payload: `{"k": 64 | "auto", "seed": 1, "restarts": 1}`, all optional.
    public static let rebuildKind = "cohorts.rebuild"
    /// Embed missing or stale profiles. Payload: `{"all": false}`, optional.
    public static let backfillKind = "embeddings.backfill"
    /// Every kind the runner knows.
    public static let kinds = [rebuildKind, backfillKind]

    /// Timing of the runner.
    public struct Configuration: Sendable {
        /// A running job with no heartbeat for this long has lost its runner. Default 60 s.
        public var staleAfter: Double
        /// Starts before a job whose runner keeps dying is failed. Default 3.
        public var maxAttempts: Int
        /// Between heartbeats of a running job. Default 5 s.
        public var heartbeatInterval: Duration
        /// Between looks at an empty queue. Default 1 s.
        public var pollInterval: Duration

        /// A configuration with the defaults above.
        public init(staleAfter: Double = 60, maxAttempts: Int = 3, heartbeatInterval: Duration = .seconds(5), pollInterval: Duration = .seconds(1)) {
            self.staleAfter = staleAfter
            self.maxAttempts = maxAttempts
            self.heartbeatInterval = heartbeatInterval
            self.pollInterval = pollInterval
        }
    }

    /// The parameters a job's payload may carry.
    struct Payload: Decodable {
        var k: String?
        var seed: UInt64?
        var restarts: Int?
        var all: Bool?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? container.decodeIfPresent(Int.self, forKey: .k) {
                k = String(number)
            } else {
                k = try container.decodeIfPresent(String.self, forKey: .k)
            }
            seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
            restarts = try container.decodeIfPresent(Int.self, forKey: .restarts)
            all = try container.decodeIfPresent(Bool.self, forKey: .all)
        }

        private enum CodingKeys: String, CodingKey { case k, seed, restarts, all }
    }

    public let store: ProfileStore
    public let embedder: any Embedder
    public let configuration: Configuration
    let logger: Logger

    /// A runner of `store`'s jobs; backfills use `embedder`.
    public init(store: ProfileStore, embedder: any Embedder, configuration: Configuration = Configuration(), logger: Logger) {
        self.store = store
        self.embedder = embedder
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs queued jobs until the task is cancelled or `keepGoing` says no; both are read
    /// between jobs only, so a job that started runs to its end (a rebuild never stops halfway).
    public func run(while keepGoing: @Sendable () -> Bool = { true }) async {
        while !Task.isCancelled, keepGoing() {
            let ran: Int
            do { ran = try await runQueued() } catch {
                logger.warning("jobs: \(error.message)")
                ran = 0
            }
            if ran == 0 { try? await Task.sleep(for: configuration.pollInterval) }
        }
    }

    /// Runs one queued job of each kind that no other runner is running; returns how many ran.
    /// An empty queue costs one query on a pooled connection: the kinds' locks (each a session
    /// of its own) are taken only when there is a job to claim.
    public func runQueued() async throws(PersonalizationError) -> Int {
        var ran = 0
        do {
            guard try await store.hasClaimableJob(kinds: Self.kinds, staleAfter: configuration.staleAfter) else { return 0 }
        } catch {
            throw .store(error)
        }
        for kind in Self.kinds {
            let lock: StoreLock?
            do { lock = try await store.tryLock("jobs.\(kind)") } catch { throw .store(error) }
            guard let lock else { continue }
            do {
                if let job = try await store.claimJob(kinds: [kind], staleAfter: configuration.staleAfter, maxAttempts: configuration.maxAttempts) {
                    await execute(job)
                    ran += 1
                }
            } catch {
                await lock.release()
                throw .store(error)
            }
            await lock.release()
        }
        return ran
    }

    /// Runs a claimed job with a heartbeat, and records its result or its error.
    private func execute(_ job: JobRecord) async {
        logger.info("job \(job.id) (\(job.kind)) started, attempt \(job.attempts)")
        let progress = Mutex("{\"stage\":\"starting\"}")
        let heartbeat = Task { [store, configuration] in
            while !Task.isCancelled {
                try? await Task.sleep(for: configuration.heartbeatInterval)
                if (try? await store.recordJobProgress(id: job.id, attempt: job.attempts, progressJSON: progress.withLock { $0 })) == false {
                    logger.warning("job \(job.id) (\(job.kind)) attempt \(job.attempts) lost its lease: another runner reclaimed it")
                }
            }
        }
        let outcome: Result<String, PersonalizationError> = await perform(job) { stage in
            progress.withLock { $0 = stage }
        }
        heartbeat.cancel()
        let result: String?, failure: String?
        switch outcome {
        case .success(let value): (result, failure) = (value, nil)
        case .failure(let error):
            if Self.isTransient(error), job.attempts < configuration.maxAttempts,
                (try? await store.requeueJob(id: job.id, attempt: job.attempts, reason: "attempt \(job.attempts): \(error.message)")) == true
            {
                // A passing store failure (a lost connection, no free descriptor, a full pool) is
                // no verdict on the job: it runs again, up to its last attempt.
                logger.warning("job \(job.id) (\(job.kind)) met a passing store failure on attempt \(job.attempts); queued again: \(error.message)")
                return
            }
            (result, failure) = (nil, error.message)
        }
        let recorded: Bool
        do {
            recorded = try await store.finishJob(id: job.id, attempt: job.attempts, resultJSON: result, error: failure)
        } catch {
            logger.error("job \(job.id) (\(job.kind)) finished, but its outcome was not recorded: \(error.message)")
            return
        }
        if !recorded {
            logger.warning("job \(job.id) (\(job.kind)) attempt \(job.attempts) finished after losing its lease; its outcome was dropped")
        } else if let failure {
            logger.error("job \(job.id) (\(job.kind)) failed: \(failure)")
        } else {
            logger.info("job \(job.id) (\(job.kind)) succeeded")
        }
    }

    /// Whether `error` is a store failure that may pass (the connection, the pool), not one of the job's.
    static func isTransient(_ error: PersonalizationError) -> Bool {
        guard error.code == .store, let underlying = error.underlying as? ProfileStoreError else { return false }
        return [.connectionFailed, .connectionLost, .poolExhausted].contains(underlying.code)
    }

    private func perform(_ job: JobRecord, progress: @escaping @Sendable (String) -> Void) async -> Result<String, PersonalizationError> {
        let payload: Payload
        do { payload = try JSONDecoder().decode(Payload.self, from: Data(job.payloadJSON.utf8)) } catch {
            return .failure(PersonalizationError(.invalidInput, "job payload: \(error)"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do throws(PersonalizationError) {
            switch job.kind {
            case Self.rebuildKind:
                var parameters = CohortRebuild.Parameters(seed: payload.seed ?? 1, restarts: payload.restarts ?? 1)
                switch payload.k {
                case nil: break
                case "auto": parameters.k = .auto
                case let text?:
                    guard let k = Int(text), k > 0 else { throw PersonalizationError(.invalidInput, "k must be a positive integer or \"auto\", not \(text)") }
                    parameters.k = .fixed(k)
                }
                let report = try await CohortRebuild(store: store, parameters: parameters).run { stage in
                    progress("{\"stage\":\"\(stage.rawValue)\"}")
                }
                return .success(String(decoding: try! encoder.encode(report), as: UTF8.self))
            case Self.backfillKind:
                let backfill = EmbeddingBackfill(store: store, embedder: embedder, configuration: .init(everything: payload.all ?? false))
                let result: EmbeddingBackfill.Progress
                do {
                    result = try await backfill.run { done in
                        progress("{\"profiles\":\(done.profiles),\"embedded\":\(done.embedded)}")
                    }
                } catch {
                    switch error {
                    case .store(let error): throw PersonalizationError.store(error)
                    case .embedding(let error): throw PersonalizationError.embedding(error)
                    }
                }
                return .success("{\"profiles\":\(result.profiles),\"embedded\":\(result.embedded),\"current\":\(result.current)}")
            default:
                throw PersonalizationError(.invalidInput, "unknown job kind \"\(job.kind)\"")
            }
        } catch {
            return .failure(error)
        }
    }
}

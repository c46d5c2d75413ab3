internal import Foundation
public import Logging
public import ProfileStore
internal import Synchronization

/// Runs the generation jobs queued in the store (`POST /v1/generations`, `onering generate
/// --job`): each step's output is stored as it completes, a provider failure is retried with
/// backoff by the pipeline, and a job whose runner died (no heartbeat for `staleAfter`) is
/// claimed again and resumes after its last completed step.
public struct GenerationRunner: Sendable {
    /// Timing of the runner.
    public struct Configuration: Sendable {
        /// A running job with no heartbeat for this long has lost its runner. Default 30 s.
        public var staleAfter: Double
        /// Starts before a job whose runner keeps dying is failed. Default 3.
        public var maxAttempts: Int
        /// Between heartbeats of a running job. Default 5 s.
        public var heartbeatInterval: Duration
        /// Between looks at an empty queue when nothing wakes the runner. Default 1 s.
        public var pollInterval: Duration
        /// Jobs run at once by this runner. Default 2.
        public var concurrency: Int

        /// A configuration with the defaults above.
        public init(
            staleAfter: Double = 30, maxAttempts: Int = 3, heartbeatInterval: Duration = .seconds(5), pollInterval: Duration = .seconds(1),
            concurrency: Int = 2
        ) {
            self.staleAfter = staleAfter
            self.maxAttempts = maxAttempts
            self.heartbeatInterval = heartbeatInterval
            self.pollInterval = pollInterval
            self.concurrency = max(1, concurrency)
        }
    }

    public let pipeline: GenerationPipeline
    public let configuration: Configuration
    let logger: Logger
    private let wakeUps = WakeSignal()

    /// A runner of the store's generation jobs with `pipeline`.
    public init(pipeline: GenerationPipeline, configuration: Configuration = Configuration(), logger: Logger) {
        self.pipeline = pipeline
        self.configuration = configuration
        self.logger = logger
    }

    var store: ProfileStore { pipeline.engine.store }

    /// Tells the runner a job was queued, so it does not wait for its next poll.
    public func wake() { wakeUps.signal() }

    /// Queues `request` (validated first) as a job and wakes the runner.
    ///
    /// - Throws: `.invalidInput` for a request out of range; `.store` (with the store's error as
    ///   its cause) when it cannot be stored, an unknown creator included.
    public func submit(_ request: GenerationRequest) async throws(GenerationError) -> GenerationRecord {
        let request = try request.validated()
        let json: Data
        do { json = try Self.encoder.encode(request) } catch { throw GenerationError(.invalidInput, "the request cannot be encoded: \(error)") }
        do {
            let record = try await store.createGeneration(userID: request.userID, requestJSON: String(decoding: json, as: UTF8.self))
            wake()
            return record
        } catch {
            throw GenerationError(.store, error.message, cause: error)
        }
    }

    /// Runs queued jobs, `concurrency` at a time, until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.concurrency {
                group.addTask {
                    while !Task.isCancelled {
                        if await runNext() == nil { await wakeUps.wait(upTo: configuration.pollInterval) }
                    }
                }
            }
        }
    }

    /// Claims and runs one job (`id`, or the oldest queued); returns it as it ended, or nil when
    /// there was nothing to claim. `events` sees its steps and tokens.
    @discardableResult
    public func runNext(id: Int64? = nil, events: @escaping @Sendable (GenerationEvent) -> Void = { _ in }) async -> GenerationRecord? {
        let claimed: GenerationRecord?
        do {
            if id == nil, !(try await store.hasClaimableGeneration(staleAfter: configuration.staleAfter)) { return nil }
            claimed = try await store.claimGeneration(id: id, staleAfter: configuration.staleAfter, maxAttempts: configuration.maxAttempts)
        } catch {
            logger.warning("generations: \(error.message)")
            return nil
        }
        guard let claimed else { return nil }
        await execute(claimed, events: events)
        return try? await store.generation(id: claimed.id)
    }

    /// Runs a claimed job with a heartbeat from its first step not stored yet; stores its result
    /// or its failure (the step and why) and its trace. A store failure leaves the job for the
    /// next claim after `staleAfter`.
    private func execute(_ job: GenerationRecord, events: @escaping @Sendable (GenerationEvent) -> Void) async {
        let started = ContinuousClock.now
        let startedAt = Date()
        let store = store, id = job.id, attempt = job.attempts
        logger.info("generation \(id) started, attempt \(attempt)\(job.steps.isEmpty ? "" : ", \(job.steps.count) step(s) stored")")
        let request: GenerationRequest
        do { request = try JSONDecoder().decode(GenerationRequest.self, from: Data(job.requestJSON.utf8)) } catch {
            await finish(job, trace: nil, status: .failed, error: "its request is not a generation request: \(error)", failedStep: nil)
            return
        }
        let journal = GenerationJournal(completed: job.steps) { (key, step) async throws(GenerationError) in
            let held: Bool
            do throws(ProfileStoreError) { held = try await store.recordGenerationStep(id: id, attempt: attempt, key: key, step: step) } catch {
                throw GenerationError(.store, error.message, step: key)
            }
            guard held else { throw GenerationError(.store, "generation \(id) was claimed by another runner", step: key) }
        }
        let heartbeat = Task {
            while (try? await Task.sleep(for: configuration.heartbeatInterval)) != nil {
                _ = try? await store.heartbeatGeneration(id: id, attempt: attempt)
            }
        }
        defer { heartbeat.cancel() }
        var trace = GenerationTrace(
            userID: job.userID, platform: request.platform.rawValue, provider: "", model: "", status: .failed, startedAt: startedAt,
            durationMilliseconds: 0, generationID: id, variants: request.variants)
        do throws(GenerationError) {
            var result = try await pipeline.run(request, journal: journal, started: started, attempt: attempt, events: events)
            trace.status = .succeeded
            trace.provider = result.provider
            trace.model = result.model
            trace.contextItems = result.contextItems
            trace.firstTokenMilliseconds = result.timings.firstTokenMilliseconds
            trace.durationMilliseconds = (ContinuousClock.now - started).milliseconds
            trace.spans = journal.spans
            result.generationID = id
            result.traceID = await record(trace)
            let json = (try? Self.encoder.encode(result)).map { String(decoding: $0, as: UTF8.self) }
            await finish(job, trace: result.traceID, status: .succeeded, resultJSON: json)
        } catch  where error.code == .store || error.code == .cancelled {
            logger.warning("generation \(id) stopped (\(error)): it resumes when claimed again")
        } catch {
            trace.error = error.description
            trace.durationMilliseconds = (ContinuousClock.now - started).milliseconds
            trace.spans = journal.spans
            let traceID = await record(trace)
            await finish(job, trace: traceID, status: .failed, error: error.message, failedStep: error.step)
        }
    }

    private func record(_ trace: GenerationTrace) async -> Int64? {
        do { return try await store.recordGenerationTrace(trace) } catch {
            logger.warning("generation trace not recorded: \(error.message)")
            return nil
        }
    }

    private func finish(
        _ job: GenerationRecord, trace: Int64?, status: GenerationRecord.Status, resultJSON: String? = nil, error: String? = nil, failedStep: String? = nil
    ) async {
        do {
            let held = try await store.finishGeneration(
                id: job.id, attempt: job.attempts, status: status, resultJSON: resultJSON, error: error, failedStep: failedStep, traceID: trace)
            if !held { logger.warning("generation \(job.id) was claimed by another runner before it finished") }
            logger.info("generation \(job.id) \(status.rawValue)\(error.map { ": \($0)" } ?? "")")
        } catch {
            logger.warning("generation \(job.id) not finished in the store: \(error.message)")
        }
    }

    /// The JSON a job's request and result are stored as.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

internal import Foundation
internal import Generation
internal import Hummingbird
internal import Personalization
internal import ProfileStore
internal import Writer

extension OneRingService {
    /// The body of `POST /v1/generate/content` and `POST /v1/generations`.
    struct GenerateBody: Decodable {
        var userID: Int64
        var platform: String
        var brief: String?
        /// Drafts from different angles, reviewed and ranked (1…5). Default 1.
        var variants: Int?
        /// Similar creators the context searches (1…100). Default 10.
        var k: Int?
        /// Cohort-partitioned context search over `nprobe` cohorts; exact without it.
        var nprobe: Int?
        /// The most tokens a draft may take (16…4,000). Default: the platform's.
        var maxTokens: Int?
        /// The creator's IANA time zone, for the schedule.
        var timeZone: String?

        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case platform, brief, variants, k, nprobe
            case maxTokens = "max_tokens"
            case timeZone = "time_zone"
        }

        /// The pipeline's request: 400 naming the field out of range.
        func request() throws(ServiceError) -> GenerationRequest {
            guard userID > 0 else { throw ServiceError(.invalidInput, .badRequest, "user_id must be a positive integer") }
            guard let platform = Platform(rawValue: platform) else {
                throw ServiceError(
                    .invalidInput, .badRequest,
                    "the strategy serves \(Platform.allCases.map(\.rawValue).joined(separator: ", ")); there is no platform \"\(platform.prefix(40))\"")
            }
            do {
                return try GenerationRequest(
                    userID: userID, platform: platform, brief: brief, variants: variants ?? 1, similarCreators: k ?? 10, nprobe: nprobe,
                    maximumTokens: maxTokens, timeZone: timeZone
                ).validated()
            } catch {
                throw ServiceError.from(error)
            }
        }
    }

    /// The `error` event of a stream that failed after it started.
    struct StreamError: Encodable {
        var code: String
        var message: String
        var step: String?
    }

    /// A `step` event: one step of the pipeline ended.
    struct StepEvent: Encodable {
        var key: String
        var span: GenerationSpan
        var resumed: Bool
    }

    /// A generation streamed as server-sent events: `step` events as the pipeline's steps end,
    /// `token` events (`text`, `variant`) as the provider writes, `retry` when a failed provider
    /// call is retried (drop that variant's text so far), then one `done` event (the ranked
    /// variants; the top-level post fields are the best one's), or an `error` event. Errors
    /// found before the first draft starts are ordinary JSON errors.
    func addGenerateRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/v1/generate/content", .post, in: self.routes) { request, context in
            var body = try await self.decode(GenerateBody.self, from: request).request()
            let principal = try context.authorize(.generate, userID: body.userID)
            body.embedsOnDemand = principal.may(.write, userID: body.userID)
            let generation = body
            // A slot first (bounded work at once), then research and strategy, and only then the
            // rate-limit slot: a generation that cannot start spends none of the creator's limit.
            try self.generationSlots.acquire(userID: generation.userID)
            let startedAt = Date(), started = ContinuousClock.now
            let journal = GenerationJournal()
            let (events, continuation) = AsyncStream.makeStream(of: StreamStep.self)
            let pipeline = self.pipeline
            let run = Task {
                do throws(GenerationError) {
                    _ = try await pipeline.run(
                        generation, journal: journal, started: started,
                        beforeWriting: { () async throws(GenerationError) in
                            do throws(ServiceError) { try await self.admitGeneration(userID: generation.userID) } catch {
                                throw GenerationError(.invalidInput, error.message, cause: error)
                            }
                        },
                        events: { continuation.yield(.event($0)) })
                } catch {
                    continuation.yield(.failed(error))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in run.cancel() }
            // Until the first draft starts, a failure is an ordinary JSON error.
            var before: [GenerationEvent] = []
            waiting: while true {
                var iterator = events.makeAsyncIterator()
                switch await iterator.next() {
                case .event(.writing): break waiting
                case .event(let event): before.append(event)
                case .failed(let error):
                    self.generationSlots.release(userID: generation.userID)
                    throw ServiceError.from(error)
                case .quiet, nil:
                    self.generationSlots.release(userID: generation.userID)
                    throw ServiceError(.internalError, .internalServerError, "the pipeline stopped before writing")
                }
            }
            let trace = GenerationTrace(
                userID: generation.userID, platform: generation.platform.rawValue, provider: "", model: "", status: .failed, startedAt: startedAt,
                durationMilliseconds: 0, variants: generation.variants)
            let lease = GenerationLease(
                userID: generation.userID, trace: trace, slots: self.generationSlots, store: self.store, metrics: self.metrics,
                logger: self.configuration.logger, onAbandon: { run.cancel() })
            let earlier = before, keepAlive = self.configuration.streamKeepAlive
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    let ticks = Task {
                        while (try? await Task.sleep(for: keepAlive)) != nil { continuation.yield(.quiet) }
                    }
                    await self.stream(before: earlier, events, to: &writer, lease: lease, journal: journal, started: started)
                    ticks.cancel()
                    run.cancel()
                }
            )
        }
    }

    /// Counts the generation against the creator's limit: 404 for an unknown creator, 429 beyond the limit.
    func admitGeneration(userID: Int64) async throws(ServiceError) {
        let limit = configuration.generationLimit
        let admission: ProfileStore.Admission
        do {
            admission = try await store.admitGeneration(userID: userID, limit: limit.count, windowSeconds: limit.window.seconds)
        } catch  where error.code == .invalidInput {
            throw ServiceError(.unknownUser, .notFound, "user \(userID) is not stored")
        } catch {
            throw ServiceError.from(error)
        }
        guard admission.admitted else {
            let wait = max(1, Int(admission.retryAfterSeconds.rounded(.up)))
            metrics.recordGeneration(status: "rate_limited")
            throw ServiceError(
                .rateLimited, .tooManyRequests,
                "at most \(limit.count) generations per \(Int(limit.window.seconds)) s; retry in \(wait) s", retryAfterSeconds: wait)
        }
    }

    /// What a generation stream waits for: the pipeline's next event, its failure, or a quiet
    /// interval (a tick the response body adds to the same stream).
    enum StreamStep: Sendable {
        case event(GenerationEvent)
        case failed(GenerationError)
        case quiet
    }

    /// Writes the pipeline's events as server-sent events and records the generation's trace with
    /// a span per step. A write that fails means the client left: the stream is dropped, which
    /// cancels the pipeline and its provider's request. While the provider is silent a keep-alive
    /// comment is written every ``ServiceConfiguration/streamKeepAlive``.
    private func stream(
        before: [GenerationEvent], _ steps: AsyncStream<StreamStep>, to writer: inout any ResponseBodyWriter, lease: GenerationLease,
        journal: GenerationJournal, started: ContinuousClock.Instant
    ) async {
        var trace = lease.trace
        var firstToken: Duration?
        let keepAlive = configuration.streamKeepAlive
        var lastWrite = ContinuousClock.now
        var finished = false
        do {
            for event in before { try await write(event, to: &writer) }
            loop: for await step in steps {
                switch step {
                case .quiet:
                    guard ContinuousClock.now - lastWrite >= keepAlive else { continue }
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .failed(let error):
                    trace.error = error.description
                    trace.spans = journal.spans
                    finished = true
                    try await writer.write(
                        Self.serverSentEvent("error", StreamError(code: ServiceError.from(error).code.name, message: error.message, step: error.step)))
                    break loop
                case .event(.done(var result)):
                    trace.status = .succeeded
                    trace.provider = result.provider
                    trace.model = result.model
                    trace.contextItems = result.contextItems
                    trace.error = result.truncated ? "cut at the token limit; trimmed to the last full sentence" : nil
                    trace.durationMilliseconds = (ContinuousClock.now - started).milliseconds
                    trace.firstTokenMilliseconds = firstToken?.milliseconds
                    trace.spans = journal.spans
                    finished = true
                    result.traceID = await lease.end(with: trace)
                    try await writer.write(Self.serverSentEvent("done", result))
                case .event(let event):
                    if case .token = event, firstToken == nil { firstToken = ContinuousClock.now - started }
                    try await write(event, to: &writer)
                }
                lastWrite = ContinuousClock.now
            }
            if !finished {
                // The pipeline's stream ended with neither a result nor an error.
                trace.error = "the pipeline's stream ended without a result"
                try await writer.write(Self.serverSentEvent("error", StreamError(code: ServiceError.Code.upstream.name, message: trace.error!)))
            }
            try await writer.finish(nil)
        } catch {
            guard trace.status != .succeeded else { return }
            trace.status = .cancelled
            trace.error = "the client disconnected"
        }
        guard trace.status != .succeeded else { return }
        trace.durationMilliseconds = (ContinuousClock.now - started).milliseconds
        trace.firstTokenMilliseconds = firstToken?.milliseconds
        trace.spans = journal.spans
        await lease.end(with: trace)
    }

    /// One pipeline event as a server-sent event (`.done` and failures are written by the stream).
    private func write(_ event: GenerationEvent, to writer: inout any ResponseBodyWriter) async throws {
        switch event {
        case .step(let key, let span, let resumed):
            try await writer.write(Self.serverSentEvent("step", StepEvent(key: key, span: span, resumed: resumed)))
        case .token(let variant, let text):
            try await writer.write(Self.serverSentEvent("token", TokenEvent(text: text, variant: variant)))
        case .retry(let variant, let attempt, let reason):
            try await writer.write(Self.serverSentEvent("retry", RetryEvent(variant: variant, attempt: attempt, reason: reason)))
        case .writing, .done:
            break
        }
    }

    struct TokenEvent: Encodable {
        var text: String
        var variant: Int
    }

    struct RetryEvent: Encodable {
        var variant: Int
        var attempt: Int
        var reason: String
    }

    /// One server-sent event: `event: NAME` and its JSON on one `data:` line.
    static func serverSentEvent(_ name: String, _ value: some Encodable) -> ByteBuffer {
        let json = (try? jsonEncoder.encode(value)) ?? Data("{}".utf8)
        var buffer = ByteBuffer(string: "event: \(name)\ndata: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }
}

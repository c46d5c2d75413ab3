internal import Foundation
internal import Hummingbird
internal import Personalization
internal import ProfileStore
internal import Writer

extension OneRingService {
    /// `POST /v1/generate/content`'s body.
    struct GenerateBody: Decodable {
        var userID: Int64
        var platform: String
        var brief: String?
        /// Similar creators the context searches (1…100). Default 10.
        var k: Int?
        /// Cohort-partitioned context search over `nprobe` cohorts; exact without it.
        var nprobe: Int?
        /// The most tokens the provider writes (16…4,000). Default: the platform's.
        var maxTokens: Int?

        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case platform, brief, k, nprobe
            case maxTokens = "max_tokens"
        }
    }

    /// The `error` event of a stream that failed after it started.
    struct StreamError: Encodable {
        var code: String
        var message: String
    }

    /// A generation streamed as server-sent events: `token` events as the provider writes,
    /// then one `done` event (the formatted post, provider, model, context items, timings), or
    /// an `error` event. Errors found before the stream starts are ordinary JSON errors.
    func addGenerateRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/v1/generate/content", .post, in: self.routes) { request, context in
            let body = try await self.decode(GenerateBody.self, from: request)
            guard body.userID > 0 else { throw ServiceError(.invalidInput, .badRequest, "user_id must be a positive integer") }
            guard let platform = Platform(rawValue: body.platform) else {
                throw ServiceError(
                    .invalidInput, .badRequest, "platform must be one of \(Platform.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(body.platform)\""
                )
            }
            let maximumTokens = body.maxTokens ?? platform.defaultMaximumTokens
            guard (16...4_000).contains(maximumTokens) else { throw ServiceError(.invalidInput, .badRequest, "max_tokens must be in 16...4000") }
            var options = PersonalizationEngine.ContextOptions()
            options.brief = try Self.brief(body.brief)
            options.similarCreators = body.k ?? 10
            guard (1...100).contains(options.similarCreators) else { throw ServiceError(.invalidInput, .badRequest, "k must be in 1...100") }
            if let nprobe = body.nprobe {
                guard (1...4_096).contains(nprobe) else { throw ServiceError(.invalidInput, .badRequest, "nprobe must be in 1...4096") }
                options.mode = .partitioned(nprobe: nprobe)
            }
            let principal = try context.authorize(.generate, userID: body.userID)
            options.embedsOnDemand = principal.may(.write, userID: body.userID)
            // A slot first (bounded work at once), then the context, and only then the rate-limit
            // slot: a generation that cannot start spends none of the creator's limit.
            try self.generationSlots.acquire(userID: body.userID)
            let started: ContinuousClock.Instant, lease: GenerationLease, events: AsyncThrowingStream<WriterAgent.Event, any Error>
            do {
                let startedAt = Date()
                started = ContinuousClock.now
                let personalization = try await self.engine.context(for: body.userID, options: options)
                let agent: WriterAgent
                do {
                    agent = try WriterAgent(provider: self.provider(context: personalization, brief: body.brief, platform: platform))
                    events = try agent.generate(context: personalization, request: .init(brief: body.brief, platform: platform, maximumTokens: maximumTokens))
                } catch {
                    throw ServiceError.from(error)
                }
                try await self.admitGeneration(userID: body.userID)
                let trace = GenerationTrace(
                    userID: body.userID, platform: platform.rawValue, provider: agent.provider.name, model: agent.provider.model,
                    status: .failed, startedAt: startedAt, durationMilliseconds: 0)
                lease = GenerationLease(
                    userID: body.userID, trace: trace, slots: self.generationSlots, store: self.store, metrics: self.metrics,
                    logger: self.configuration.logger)
            } catch {
                self.generationSlots.release(userID: body.userID)
                throw error
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    await self.stream(events, to: &writer, lease: lease, started: started)
                }
            )
        }
    }

    /// Counts the generation against the creator's limit: 404 for an unknown creator, 429 beyond the limit.
    private func admitGeneration(userID: Int64) async throws(ServiceError) {
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

    /// What a generation stream waits for: the writer's next event, its failure, or a quiet interval.
    private enum StreamStep: Sendable {
        case event(WriterAgent.Event)
        case failed(any Error)
        case quiet
    }

    /// `events` with a `.quiet` step every `interval`. Dropping the result cancels `events`,
    /// and with it the provider's request.
    private static func steps(of events: AsyncThrowingStream<WriterAgent.Event, any Error>, quietEvery interval: Duration) -> AsyncStream<StreamStep> {
        AsyncStream { continuation in
            let forward = Task {
                do {
                    for try await event in events { continuation.yield(.event(event)) }
                } catch {
                    continuation.yield(.failed(error))
                }
                continuation.finish()
            }
            let ticks = Task {
                while (try? await Task.sleep(for: interval)) != nil { continuation.yield(.quiet) }
            }
            continuation.onTermination = { _ in
                forward.cancel()
                ticks.cancel()
            }
        }
    }

    /// Writes `events` as server-sent events and records the generation's trace. A write that
    /// fails means the client left: the stream is dropped, which cancels the provider's request.
    /// While the provider is silent a keep-alive comment is written every
    /// ``ServiceConfiguration/streamKeepAlive``, so a client that left is noticed then too.
    private func stream(
        _ events: AsyncThrowingStream<WriterAgent.Event, any Error>, to writer: inout any ResponseBodyWriter,
        lease: GenerationLease, started: ContinuousClock.Instant
    ) async {
        var trace = lease.trace
        var firstToken: Duration?
        let keepAlive = configuration.streamKeepAlive
        var lastWrite = ContinuousClock.now
        do {
            loop: for await step in Self.steps(of: events, quietEvery: keepAlive) {
                switch step {
                case .quiet:
                    guard ContinuousClock.now - lastWrite >= keepAlive else { continue }
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .failed(let error):
                    trace.status = .failed
                    trace.error = (error as? WriterError)?.message ?? "\(error)"
                    try await writer.write(Self.serverSentEvent("error", StreamError(code: ServiceError.Code.upstream.name, message: trace.error!)))
                    break loop
                case .event(.token(let text)):
                    if firstToken == nil { firstToken = ContinuousClock.now - started }
                    try await writer.write(Self.serverSentEvent("token", ["text": text]))
                case .event(.done(let result)):
                    trace.status = .succeeded
                    trace.contextItems = result.contextItems
                    if result.truncated { trace.error = "cut at the token limit; trimmed to the last full sentence" }
                    try await writer.write(Self.serverSentEvent("done", result))
                }
                lastWrite = ContinuousClock.now
            }
            if trace.status != .succeeded, trace.error == nil {
                // The writer's stream ended with neither a result nor an error.
                trace.error = "the writer's stream ended without a result"
                try await writer.write(Self.serverSentEvent("error", StreamError(code: ServiceError.Code.upstream.name, message: trace.error!)))
            }
            try await writer.finish(nil)
        } catch {
            trace.status = .cancelled
            trace.error = "the client disconnected"
        }
        trace.durationMilliseconds = (ContinuousClock.now - started).milliseconds
        trace.firstTokenMilliseconds = firstToken?.milliseconds
        await lease.end(with: trace)
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

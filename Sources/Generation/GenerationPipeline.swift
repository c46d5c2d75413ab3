public import Embedding
internal import Foundation
internal import InMemoryTracing
public import Logging
public import Personalization
public import ProfileStore
internal import Synchronization
internal import Tracing
public import Writer

/// The generation pipeline: research → strategy → write → review → schedule, with `variants`
/// drafts from different angles, reviewed and ranked. Each step has typed JSON input and
/// output, runs in a span of its own (swift-distributed-tracing), and lands in the journal as it
/// completes, so a job that is retried resumes after its last completed step with no provider
/// call repeated for a step that finished.
public struct GenerationPipeline: Sendable {
    public let engine: PersonalizationEngine
    public let makeProvider: ProviderFactory
    /// How a draft whose provider failed is written again (its stream broke, or the provider's
    /// own retries gave up). Default: ``defaultRetry``.
    public var retry: RetryPolicy
    let prompts: PromptBuilder
    let logger: Logger

    /// Two more calls, after 0.25 s and 0.5 s at most (with jitter).
    public static let defaultRetry = RetryPolicy(maximumRetries: 2, initialBackoff: 0.25, maximumBackoff: 4, maximumRetryAfter: 30)

    /// A pipeline writing with the providers `makeProvider` makes.
    public init(
        engine: PersonalizationEngine, makeProvider: @escaping ProviderFactory, retry: RetryPolicy = defaultRetry,
        logger: Logger = Logger(label: "onering.generation")
    ) throws(GenerationError) {
        self.engine = engine
        self.makeProvider = makeProvider
        self.retry = retry
        self.logger = logger
        do { prompts = try PromptBuilder.packaged() } catch { throw GenerationError(.invalidInput, error.message) }
    }

    /// The offline drafter for every draft: no network, a different wording for each angle and rewrite.
    public static let offlineProviders: ProviderFactory = { context, plan, angle, rewrite in
        OfflineProvider(context: context, brief: plan.topic, platform: plan.platform, angle: rewrite ? angle.name + " rewritten" : angle.name)
    }

    /// Runs `request` (validated first) from the first step the journal does not hold.
    ///
    /// - Parameters:
    ///   - started: when the request arrived (the first-token time counts from it).
    ///   - attempt: the job's attempt, recorded on the spans.
    ///   - beforeWriting: runs once the plan is made, before the first provider call (a rate
    ///     limit, say): what it throws ends the generation.
    ///   - events: steps as they end, `.writing`, tokens, retries; `.done` last.
    /// - Throws: `.invalidInput` for a request out of range; `.unknownUser`; `.stepFailed` with
    ///   the step; `.store` when a step could not be stored; `.cancelled`.
    public func run(
        _ request: GenerationRequest, journal: GenerationJournal = GenerationJournal(), started: ContinuousClock.Instant = .now, attempt: Int = 1,
        beforeWriting: @Sendable () async throws(GenerationError) -> Void = {},
        events: @escaping @Sendable (GenerationEvent) -> Void = { _ in }
    ) async throws(GenerationError) -> GenerationResult {
        let request = try request.validated()
        let run = Run(journal: journal, attempt: attempt, events: events)
        let now = Date()

        let research = try await run.step(
            ResearchStep.name, input: "creator \(request.userID), brief \(request.brief.map { "\"\($0.prefix(80))\"" } ?? "none")", summary: \.summary
        ) {
            () async throws(GenerationError) in
            try await ResearchStep(engine: engine, embedsOnDemand: request.embedsOnDemand ?? true).run(request)
        }
        let plan = try await run.step(StrategyStep.name, input: "\(request.platform.rawValue), \(request.variants) variant(s)", summary: \.summary) {
            () async throws(GenerationError) in
            try StrategyStep().run(request, research: research, now: now)
        }
        try await beforeWriting()
        events(.writing)
        let write = WriteStep(makeProvider: makeProvider, prompts: prompts, retry: retry, logger: logger)
        let review = ReviewStep(engine: engine)
        // Embedded once for every variant's review, unless every review was stored by an earlier attempt.
        let allReviewed = plan.angles.indices.allSatisfy { run.journal.completed("\(ReviewStep.name).\($0 + 1)") != nil }
        let sources = allReviewed ? ReviewStep.Sources(posts: [], vectors: nil) : await review.sources(for: research)
        let firstToken = Mutex<ContinuousClock.Instant?>(nil)
        var reviews: [Review] = []
        var providerMilliseconds = 0.0
        for (index, angle) in plan.angles.enumerated() {
            let variant = index + 1
            let draft = try await run.step(
                "\(WriteStep.name).\(variant)", name: WriteStep.name, variant: variant, input: "angle \(angle.name)", summary: \.summary
            ) {
                () async throws(GenerationError) in
                try await write.run(
                    variant: variant, angle: angle, request: request, research: research, plan: plan,
                    onToken: { piece in
                        firstToken.withLock { $0 = $0 ?? .now }
                        events(.token(variant: variant, text: piece))
                    },
                    onRetry: { attempt, reason in events(.retry(variant: variant, attempt: attempt, reason: reason)) })
            }
            let reviewed = try await run.step(
                "\(ReviewStep.name).\(variant)", name: ReviewStep.name, variant: variant, input: draft.summary, summary: \.summary
            ) {
                () async throws(GenerationError) in
                try await review.run(
                    draft, request: request, research: research, plan: plan, sources: sources, earlier: reviews.map { ($0.variant, $0.text) }
                ) {
                    (rewrite) async throws(GenerationError) in
                    try await write.run(
                        variant: variant, angle: angle, request: request, research: research, plan: plan, revision: rewrite, onToken: { _ in },
                        onRetry: { attempt, reason in events(.retry(variant: variant, attempt: attempt, reason: reason)) })
                }
            }
            if run.ranNow("\(WriteStep.name).\(variant)") { providerMilliseconds += draft.providerMilliseconds }
            if run.ranNow("\(ReviewStep.name).\(variant)"), reviewed.rewritten { providerMilliseconds += reviewed.draft.providerMilliseconds }
            reviews.append(reviewed)
        }
        let schedule = try await run.step(ScheduleStep.name, input: plan.slot.map { "slot \($0.weekday)/\($0.hour) UTC" } ?? "no slot", summary: \.summary) {
            () async throws(GenerationError) in
            ScheduleStep().run(plan: plan, now: Date())
        }

        let variants = GenerationResult.rank(reviews)
        guard let best = variants.first, let bestReview = reviews.first(where: { $0.variant == best.variant }) else {
            throw GenerationError(.stepFailed, "no variant was written", step: ReviewStep.name)
        }
        let total = (ContinuousClock.now - started).milliseconds
        let result = GenerationResult(
            post: best.post, text: best.text, provider: bestReview.draft.provider, model: bestReview.draft.model,
            contextItems: bestReview.draft.contextItems, promptTokens: bestReview.draft.promptTokens,
            completionTokens: bestReview.draft.completionTokens, finishReason: bestReview.draft.finishReason, truncated: bestReview.draft.truncated,
            timings: .init(
                firstTokenMilliseconds: firstToken.withLock { $0 }.map { ($0 - started).milliseconds } ?? total, totalMilliseconds: total,
                providerMilliseconds: providerMilliseconds, stepOverheadMilliseconds: max(0, total - providerMilliseconds)),
            variants: variants, plan: plan, schedule: schedule, brief: research.context.brief)
        events(.done(result))
        return result
    }

    /// One run of the pipeline: its tracer, its journal, the steps it ran itself.
    final class Run: Sendable {
        let journal: GenerationJournal
        let attempt: Int
        let events: @Sendable (GenerationEvent) -> Void
        let tracer = InMemoryTracer()
        private let ranNow = Mutex<Set<String>>([])

        init(journal: GenerationJournal, attempt: Int, events: @escaping @Sendable (GenerationEvent) -> Void) {
            self.journal = journal
            self.attempt = attempt
            self.events = events
        }

        /// Whether step `key` ran in this run (not taken from an earlier attempt).
        func ranNow(_ key: String) -> Bool { ranNow.withLock { $0.contains(key) } }

        /// Step `key`'s output: from the journal when an earlier attempt completed it, else `body`'s,
        /// run in a span and stored in the journal.
        func step<Output: Codable & Sendable>(
            _ key: String, name: String? = nil, variant: Int? = nil, input: String, summary: (Output) -> String,
            _ body: () async throws(GenerationError) -> Output
        ) async throws(GenerationError) -> Output {
            if let done = journal.completed(key) {
                do {
                    let output = try Self.decoder.decode(Output.self, from: Data(done.outputJSON.utf8))
                    events(.step(key: key, span: done.span, resumed: true))
                    return output
                } catch {
                    // A step stored by another version of the pipeline: run it again.
                }
            }
            ranNow.withLock { _ = $0.insert(key) }
            let outcome: Result<Output, GenerationError> = await tracer.withSpan(name ?? key, context: .topLevel) { span in
                span.attributes["onering.step.input"] = input
                span.attributes["onering.step.attempt"] = attempt
                if let variant { span.attributes["onering.step.variant"] = variant }
                do throws(GenerationError) {
                    let output = try await body()
                    span.attributes["onering.step.output"] = summary(output)
                    return .success(output)
                } catch {
                    span.setStatus(.init(code: .error, message: error.message))
                    return .failure(error)
                }
            }
            let span = Self.span(of: tracer.popFinishedSpans().last, name: name ?? key, variant: variant, attempt: attempt)
            switch outcome {
            case .failure(let error):
                var failed = span
                failed.status = .error
                failed.error = error.message
                journal.recordFailure(failed)
                events(.step(key: key, span: failed, resumed: false))
                var located = error
                located.step = key
                throw located
            case .success(let output):
                let json: Data
                do { json = try Self.encoder.encode(output) } catch {
                    throw GenerationError(.store, "step \(key)'s output cannot be encoded: \(error)", step: key)
                }
                try await journal.record(key, .init(outputJSON: String(decoding: json, as: UTF8.self), span: span))
                events(.step(key: key, span: span, resumed: false))
                return output
            }
        }

        /// The stored form of a finished span.
        static func span(of finished: FinishedInMemorySpan?, name: String, variant: Int?, attempt: Int) -> GenerationSpan {
            guard let finished else {
                return GenerationSpan(name: name, variant: variant, attempt: attempt, status: .error, startedAt: Date(), durationMilliseconds: 0)
            }
            func text(_ key: String) -> String {
                switch finished.attributes[key]?.toSpanAttribute() {
                case .string(let value): value
                case .stringConvertible(let value): value.description
                default: ""
                }
            }
            let start = finished.startInstant.nanosecondsSinceEpoch, end = finished.endInstant.nanosecondsSinceEpoch
            return GenerationSpan(
                name: name, variant: variant, attempt: attempt, status: finished.status?.code == .error ? .error : .ok,
                startedAt: Date(timeIntervalSince1970: Double(start) / 1e9), durationMilliseconds: Double(end &- start) / 1e6,
                input: text("onering.step.input"), output: text("onering.step.output"), error: finished.status?.message)
        }

        static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            encoder.outputFormatting = [.sortedKeys]
            return encoder
        }()

        static let decoder: JSONDecoder = {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return decoder
        }()
    }
}

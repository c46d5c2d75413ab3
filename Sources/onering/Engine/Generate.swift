import ArgumentParser
import Foundation
import Generation
import Personalization
import ProfileStore
import Writer

/// `onering generate USER`: a post written with the creator's personalization context.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a post for a creator: research, strategy, write, review, schedule, each step printed as it completes.",
        discussion: """
            --variants N writes N drafts from different angles, reviewed and ranked. --job stores each step as it \
            completes; --resume ID continues a job that failed or whose process stopped, after its last completed step. \
            --llm offline (the default without GROQ_API_KEY) drafts from the context with no network; \
            groq uses GROQ_API_KEY and GROQ_BASE_URL (default https://api.groq.com/openai); openai uses \
            OPENAI_API_KEY and OPENAI_BASE_URL (any OpenAI-compatible API). --json prints one JSON object at the end.
            """
    )

    enum ProviderChoice: String, ExpressibleByArgument, CaseIterable {
        case offline, groq, openai

        /// `choice`, or groq when `GROQ_API_KEY` is set, else offline.
        static func resolved(_ choice: ProviderChoice?) -> ProviderChoice {
            choice ?? ((ProcessInfo.processInfo.environment["GROQ_API_KEY"] ?? "").isEmpty ? .offline : .groq)
        }

        /// The chat API's settings from the environment (`GROQ_*`, `OPENAI_*`) and the overrides;
        /// nil for the offline drafter.
        func configuration(baseURL: String? = nil, model: String? = nil) -> OpenAICompatibleProvider.Configuration? {
            let environment = ProcessInfo.processInfo.environment
            switch self {
            case .offline:
                return nil
            case .groq:
                return .groq(
                    apiKey: environment["GROQ_API_KEY"] ?? "", baseURL: baseURL ?? environment["GROQ_BASE_URL"] ?? "https://api.groq.com/openai",
                    model: model ?? OpenAICompatibleProvider.Configuration.groqDefaultModel)
            case .openai:
                return .init(
                    name: "openai", baseURL: baseURL ?? environment["OPENAI_BASE_URL"] ?? "https://api.openai.com",
                    apiKey: environment["OPENAI_API_KEY"] ?? "", model: model ?? "gpt-4o-mini")
            }
        }
    }

    @OptionGroup var engine: EngineOptions
    @Argument(help: "The creator's id (not with --resume).") var user: Int64?
    @Option(help: "x, instagram, tiktok or youtube.") var platform: Platform = .x
    @Option(help: "What the post is about (default: the cohort's top trending topic).") var brief: String?
    @Option(help: "Drafts from different angles, reviewed and ranked (1…5).") var variants = 1
    @Option(name: .customLong("time-zone"), help: "The creator's IANA time zone (Europe/Berlin) for the schedule.") var timeZone: String?
    @Flag(help: "Run it as a durable job: each step is stored as it completes, so --resume continues a job that stopped.") var job = false
    @Option(help: "Resume generation job ID after its last completed step (a failed job, or one whose runner stopped).") var resume: Int64?
    @Option(help: .hidden) var staleAfter: Double = 10
    @Option(name: .customLong("llm"), help: "offline, groq or openai (default: groq when GROQ_API_KEY is set, else offline).")
    var llm: ProviderChoice?
    @Option(name: .customLong("llm-base-url"), help: "The chat API's base URL (without /v1).") var llmBaseURL: String?
    @Option(name: .customLong("llm-model"), help: "The chat model (default: openai/gpt-oss-120b on Groq, gpt-4o-mini on OpenAI).")
    var llmModel: String?
    @Flag(help: "Print one JSON object (the ranked variants, plan, schedule, timings) instead of the steps.") var json = false

    func validate() throws {
        if let resume {
            guard resume > 0 else { throw ValidationError("--resume needs a positive generation id") }
            guard user == nil else { throw ValidationError("--resume takes no creator id: the job has its own") }
        } else {
            guard let user else { throw ValidationError("give the creator's id (or --resume ID)") }
            guard user > 0 else { throw ValidationError("the creator id must be positive") }
        }
        guard (1...GenerationRequest.maximumVariants).contains(variants) else {
            throw ValidationError("--variants must be in 1…\(GenerationRequest.maximumVariants)")
        }
        guard staleAfter > 0 else { throw ValidationError("--stale-after must be positive") }
    }

    func run() async throws {
        let engine = try await engine.startEngine()
        let providers: ProviderFactory
        if let settings = ProviderChoice.resolved(llm).configuration(baseURL: llmBaseURL, model: llmModel) {
            let shared = try OpenAICompatibleProvider(configuration: settings, logger: commandLogger("onering.writer"))
            providers = { _, _, _, _ in shared }
        } else {
            providers = GenerationPipeline.offlineProviders
        }
        let pipeline = try GenerationPipeline(engine: engine, makeProvider: providers, logger: commandLogger("onering.generation"))
        let printer = StepPrinter(quiet: json)
        let result: GenerationResult
        if job || resume != nil {
            result = try await runJob(pipeline, printer: printer)
        } else {
            let request = GenerationRequest(userID: user!, platform: platform, brief: brief, variants: variants, timeZone: timeZone)
            result = try await pipeline.run(request, events: printer.print)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            printer.printRanking(result)
        }
    }

    /// Submits the request as a job (or takes up job `--resume`) and runs it here.
    private func runJob(_ pipeline: GenerationPipeline, printer: StepPrinter) async throws -> GenerationResult {
        let runner = GenerationRunner(
            pipeline: pipeline, configuration: .init(staleAfter: staleAfter, heartbeatInterval: .seconds(1)), logger: commandLogger("onering.generation"))
        let store = pipeline.engine.store
        let id: Int64
        if let resume {
            guard let record = try await store.retryGeneration(id: resume) else { throw CommandFailure("there is no generation \(resume)") }
            id = record.id
            if record.status == .succeeded {
                printer.note("generation \(id) already succeeded")
                return try Self.result(of: record)
            }
            printer.note("generation \(id): \(record.steps.count) step(s) stored, resuming after them")
        } else {
            let record = try await runner.submit(
                GenerationRequest(userID: user!, platform: platform, brief: brief, variants: variants, timeZone: timeZone))
            id = record.id
            printer.note("generation \(id) queued as a job")
        }
        guard let ended = await runner.runNext(id: id, events: printer.print) else {
            throw CommandFailure("generation \(id) is running elsewhere (its runner beat within \(staleAfter) s): try again later")
        }
        switch ended.status {
        case .succeeded: return try Self.result(of: ended)
        case .failed:
            throw CommandFailure(
                "generation \(id) failed\(ended.failedStep.map { " in step \($0)" } ?? ""): \(ended.error ?? "no reason given"); "
                    + "`onering generate --resume \(id)` retries it after its last completed step")
        case .queued, .running:
            throw CommandFailure("generation \(id) stopped before it finished (\(ended.status.rawValue)): `onering generate --resume \(id)` continues it")
        }
    }

    private static func result(of record: GenerationRecord) throws -> GenerationResult {
        guard let json = record.resultJSON else { throw CommandFailure("generation \(record.id) has no result") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(GenerationResult.self, from: Data(json.utf8))
    }
}

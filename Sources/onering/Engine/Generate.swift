import ArgumentParser
import Foundation
import Personalization
import Writer

/// `onering generate USER`: a post written with the creator's personalization context.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a post for a creator with their personalization context, streamed as it is written.",
        discussion: """
            --provider offline (the default without GROQ_API_KEY) drafts from the context with no network; \
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
    @Argument(help: "The creator's id.") var user: Int64
    @Option(help: "x, instagram, tiktok or youtube.") var platform: Platform = .x
    @Option(help: "What the post is about (default: the cohort's top trending topic).") var brief: String?
    @Option(name: .customLong("llm"), help: "offline, groq or openai (default: groq when GROQ_API_KEY is set, else offline).")
    var llm: ProviderChoice?
    @Option(name: .customLong("llm-base-url"), help: "The chat API's base URL (without /v1).") var llmBaseURL: String?
    @Option(name: .customLong("llm-model"), help: "The chat model (default: openai/gpt-oss-120b on Groq, gpt-4o-mini on OpenAI).")
    var llmModel: String?
    @Flag(help: "Print one JSON object (posts, provider, model, context items, timings) instead of the stream.") var json = false

    func validate() throws {
        guard user > 0 else { throw ValidationError("the creator id must be positive") }
    }

    func run() async throws {
        let engine = try await engine.startEngine()
        var options = PersonalizationEngine.ContextOptions()
        options.brief = brief
        let context = try await engine.context(for: user, options: options)
        let provider: any LLMProvider
        if let settings = ProviderChoice.resolved(llm).configuration(baseURL: llmBaseURL, model: llmModel) {
            provider = try OpenAICompatibleProvider(configuration: settings, logger: commandLogger("onering.writer"))
        } else {
            provider = OfflineProvider(context: context, brief: brief, platform: platform)
        }
        let agent = try WriterAgent(provider: provider)
        var result: WriterAgent.Result?
        for try await event in try agent.generate(context: context, request: .init(brief: brief, platform: platform)) {
            switch event {
            case .token(let piece) where !json:
                print(piece, terminator: "")
                fflush(nil)
            case .token:
                break
            case .done(let done):
                result = done
            }
        }
        guard let result else { throw ValidationError("\(provider.name) finished without a result") }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print("\n")
        if let title = result.post.title { print("title: \(title)") }
        for (index, part) in result.post.parts.enumerated() {
            print(result.post.parts.count > 1 ? "[\(index + 1)] \(part)" : part)
        }
        print(
            "\n\(result.provider) · \(result.model) · first token \(result.timings.firstTokenMilliseconds.fixed(1)) ms, total \(result.timings.totalMilliseconds.fixed(1)) ms · context: \(result.contextItems.joined(separator: ", "))"
        )
    }
}

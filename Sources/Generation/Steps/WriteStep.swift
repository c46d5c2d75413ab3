public import Embedding
internal import Foundation
internal import Logging
public import Personalization
public import Writer

/// A variant as the provider wrote it.
public struct Draft: Codable, Sendable, Equatable {
    /// The variant, counted from 1.
    public var variant: Int
    public var angle: Angle
    /// The text, trimmed; cut back to its last full sentence when the provider hit the token limit.
    public var text: String
    /// Why the provider stopped (`stop`, `length`), when it said.
    public var finishReason: String?
    /// True when the provider was cut off at the token limit.
    public var truncated: Bool
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var provider: String
    public var model: String
    /// Provider calls it took (retries included), and the time inside them and between them.
    public var calls: Int
    public var providerMilliseconds: Double
    /// The context items the prompt used.
    public var contextItems: [String]

    var summary: String {
        "\(text.count) characters by \(provider)/\(model)\(truncated ? ", cut at the token limit" : ""), \(calls) call\(calls == 1 ? "" : "s")"
    }
}

/// Makes the provider that writes one draft: the shared chat API, or the offline drafter for
/// this context, plan and angle (a rewrite asks for another wording).
public typealias ProviderFactory = @Sendable (_ context: PersonalizationContext, _ plan: ContentPlan, _ angle: Angle, _ rewrite: Bool) -> any LLMProvider

/// The write step: one draft by the writer agent, streamed, its provider's failures retried with backoff.
struct WriteStep: Sendable {
    static let name = "write"

    let makeProvider: ProviderFactory
    let prompts: PromptBuilder
    let retry: RetryPolicy
    let logger: Logger

    /// Writes variant `variant` from `angle` (a rewrite of `revision` when given); `onToken` sees
    /// the text as it comes, `onRetry` each failed call that is retried (drop the text so far).
    func run(
        variant: Int, angle: Angle, request: GenerationRequest, research: Research, plan: ContentPlan, revision: WriterAgent.Request.Revision? = nil,
        onToken: @Sendable (String) -> Void, onRetry: @Sendable (_ attempt: Int, _ reason: String) -> Void
    ) async throws(GenerationError) -> Draft {
        let step = "\(Self.name).\(variant)"
        let provider = makeProvider(research.context, plan, angle, revision != nil)
        let agent = WriterAgent(provider: provider, prompts: prompts)
        let writing = WriterAgent.Request(
            brief: request.brief, platform: request.platform, maximumTokens: request.maximumTokens, directions: Self.directions(plan: plan, angle: angle),
            revision: revision)
        let started = ContinuousClock.now
        return try await retry.run(
            "\(step) (\(provider.name))", logger: logger, message: \.message,
            cancelled: { GenerationError(.cancelled, "the generation was cancelled", step: step) },
            gaveUp: { failure, calls in GenerationError(failure.code, "\(provider.name) failed after \(calls) calls: \(failure.message)", step: step) }
        ) { (attempt) async throws(GenerationError) -> RetryPolicy.Attempt<Draft, GenerationError> in
            do {
                for try await event in try agent.generate(context: research.context, request: writing) {
                    switch event {
                    case .token(let piece):
                        onToken(piece)
                    case .done(let result):
                        return .success(
                            Draft(
                                variant: variant, angle: angle, text: result.text, finishReason: result.finishReason, truncated: result.truncated,
                                promptTokens: result.promptTokens, completionTokens: result.completionTokens, provider: result.provider,
                                model: result.model, calls: attempt + 1, providerMilliseconds: (ContinuousClock.now - started).milliseconds,
                                contextItems: result.contextItems))
                    }
                }
                throw WriterError(.incomplete, "\(provider.name) ended its stream without a result")
            } catch let error as WriterError {
                if Task.isCancelled || error.code == .cancelled { throw GenerationError(.cancelled, "the generation was cancelled", step: step) }
                if error.code == .invalidInput { throw GenerationError(.invalidInput, error.message, step: step) }
                let failure = GenerationError(.stepFailed, error.message, step: step)
                guard Self.isRetryable(error) else { throw failure }
                if attempt < retry.maximumRetries { onRetry(attempt + 1, error.message) }
                return .retry(failure, retryAfter: 0)
            } catch {
                throw GenerationError(Task.isCancelled ? .cancelled : .stepFailed, "\(provider.name) failed: \(error)", step: step)
            }
        }
    }

    /// Whether another call may succeed where this one failed: the network, a 408, 409, 429 or
    /// 5xx, a stream cut short or garbled (the provider's own retries cover a refused request;
    /// these cover a stream that broke after it started, and a provider that gave up).
    static func isRetryable(_ error: WriterError) -> Bool {
        switch error.code {
        case .transport, .incomplete, .invalidResponse: return true
        case .provider: return error.status.map { $0 == 408 || $0 == 409 || $0 == 429 || $0 >= 500 } ?? true
        default: return false
        }
    }

    /// The plan's directions for this variant, after the writer's request.
    static func directions(plan: ContentPlan, angle: Angle) -> [String] {
        var lines = [
            "Angle: \(angle.instruction)",
            "Format: \(plan.format.instruction), about \(plan.targetLength) characters.",
        ]
        if !plan.hashtags.isEmpty { lines.append("Hashtags to use: " + plan.hashtags.map { "#" + $0 }.joined(separator: " ")) }
        return lines
    }
}

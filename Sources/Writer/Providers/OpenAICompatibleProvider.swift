public import Embedding
internal import Foundation
public import Logging
internal import Synchronization

/// Chat completions streamed from Groq or any OpenAI-compatible API:
/// `POST {baseURL}/v1/chat/completions` with `"stream": true`, read as server-sent events
/// while they arrive.
///
/// Retries (the shared ``RetryPolicy``: capped exponential backoff with full jitter, waiting what
/// `Retry-After` asks up to a cap) happen only before the first token: 429, 5xx and transport
/// failures. After a token a failure ends the stream with `.incomplete`, so partial text is never
/// taken for a post. Usage is asked for (`stream_options.include_usage`) and read from the final
/// chunk's `usage` or Groq's `x_groq.usage`; the finish reason is passed on.
public struct OpenAICompatibleProvider: LLMProvider {
    /// Where and how to call the API.
    public struct Configuration: Sendable {
        /// The provider's name in results and errors, e.g. "groq".
        public var name: String
        /// Base URL without `/v1`, e.g. `https://api.groq.com/openai`.
        public var baseURL: String
        /// The bearer key.
        public var apiKey: String
        /// The chat model.
        public var model: String
        /// Seconds to connect. Default 10.
        public var connectTimeout: Double
        /// Seconds the stream may go quiet before it is abandoned. Default 30.
        public var idleTimeout: Double
        /// Retries before the first token. Default 3.
        public var maximumRetries: Int
        /// The first backoff, doubled per retry, in seconds. Default 0.5.
        public var initialBackoff: Double
        /// The longest backoff, in seconds. Default 8.
        public var maximumBackoff: Double
        /// The longest wait a `Retry-After` may impose, in seconds. Default 30.
        public var maximumRetryAfter: Double
        /// Sampling temperature. Default 0.7.
        public var temperature: Double

        /// A configuration with the defaults above.
        public init(
            name: String, baseURL: String, apiKey: String, model: String, connectTimeout: Double = 10, idleTimeout: Double = 30,
            maximumRetries: Int = 3, initialBackoff: Double = 0.5, maximumBackoff: Double = 8, maximumRetryAfter: Double = 30,
            temperature: Double = 0.7
        ) {
            self.name = name
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.connectTimeout = connectTimeout
            self.idleTimeout = idleTimeout
            self.maximumRetries = maximumRetries
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.maximumRetryAfter = maximumRetryAfter
            self.temperature = temperature
        }

        /// Groq's default model: a current production model (`llama-3.3-70b-versatile`, the
        /// earlier default, was decommissioned on 2026-08-16).
        public static let groqDefaultModel = "openai/gpt-oss-120b"

        /// Groq's API (`GROQ_API_KEY`); ``groqDefaultModel`` unless told otherwise.
        public static func groq(apiKey: String, baseURL: String = "https://api.groq.com/openai", model: String = groqDefaultModel) -> Configuration {
            Configuration(name: "groq", baseURL: baseURL, apiKey: apiKey, model: model)
        }

        /// The retries of this configuration, as every provider call makes them.
        var retryPolicy: RetryPolicy {
            RetryPolicy(
                maximumRetries: maximumRetries, initialBackoff: initialBackoff, maximumBackoff: maximumBackoff,
                maximumRetryAfter: maximumRetryAfter)
        }
    }

    public let configuration: Configuration
    let logger: Logger

    public var name: String { configuration.name }
    public var model: String { configuration.model }

    /// A provider; throws `.invalidConfiguration` without a key or with a base URL that is not http(s).
    public init(configuration: Configuration, logger: Logger = Logger(label: "onering.writer", factory: { _ in SwiftLogNoOpLogHandler() })) throws(WriterError)
    {
        guard !configuration.apiKey.isEmpty else {
            throw WriterError(.invalidConfiguration, "\(configuration.name) needs an API key")
        }
        guard configuration.baseURL.hasPrefix("http://") || configuration.baseURL.hasPrefix("https://") else {
            throw WriterError(.invalidConfiguration, "\(configuration.name): the base URL must start with http:// or https://, not \(configuration.baseURL)")
        }
        self.configuration = configuration
        self.logger = logger
    }

    private struct RequestBody: Encodable {
        struct StreamOptions: Encodable { var include_usage = true }
        var model: String
        var messages: [ChatMessage]
        var stream = true
        var stream_options = StreamOptions()
        var max_tokens: Int
        var temperature: Double
    }

    private struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
            var finish_reason: String?
        }
        struct Usage: Decodable {
            var prompt_tokens: Int?
            var completion_tokens: Int?
        }
        struct Extra: Decodable { var usage: Usage? }
        struct Failure: Decodable { var message: String? }
        var choices: [Choice]?
        var usage: Usage?
        var x_groq: Extra?
        var error: Failure?
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String
            var code: String?
        }
        var error: Detail
    }

    /// What one attempt's stream saw; written by the transfer's callbacks, read after it ends.
    private final class StreamState: @unchecked Sendable {
        var parser = ServerSentEventParser()
        var sawToken = false, done = false
        var usage: (prompt: Int?, completion: Int?) = (nil, nil)
        var finishReason: String?
        var streamError: WriterError?
    }

    public func stream(_ messages: [ChatMessage], maximumTokens: Int) -> AsyncThrowingStream<LLMEvent, any Error> {
        let request = CurlStreamingRequest()
        let configuration = configuration, logger = logger
        return AsyncThrowingStream { continuation in
            // The transfer runs on the HTTP client's queue; retry waits are `Task.sleep`s that
            // cancelling the task (the consumer leaving) ends at once, as it aborts the transfer.
            let task = Task {
                do throws(WriterError) {
                    try await Self.run(messages, maximumTokens: maximumTokens, configuration: configuration, logger: logger, request: request) {
                        continuation.yield($0)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                request.cancel()
                task.cancel()
            }
        }
    }

    /// The body of ``stream(_:maximumTokens:)``: attempts until a stream starts, then reads it.
    private static func run(
        _ messages: [ChatMessage], maximumTokens: Int, configuration: Configuration, logger: Logger,
        request: CurlStreamingRequest, yield: @escaping @Sendable (LLMEvent) -> Void
    ) async throws(WriterError) {
        let name = configuration.name
        let url = configuration.baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/chat/completions"
        let body: [UInt8]
        do {
            body = Array(
                try JSONEncoder().encode(
                    RequestBody(
                        model: configuration.model, messages: messages, max_tokens: maximumTokens,
                        temperature: configuration.temperature)))
        } catch {
            throw WriterError(.invalidInput, "cannot encode the request: \(error)")
        }
        let headers = ["Content-Type: application/json", "Accept: text/event-stream", "Authorization: Bearer \(configuration.apiKey)", "Expect:"]
        let cancelled = WriterError(.cancelled, "\(name): the request was cancelled")
        try await configuration.retryPolicy.run(
            name, logger: logger, message: \.message, cancelled: { cancelled },
            gaveUp: { WriterError($0.code, "\($0.message) (gave up after \($1) attempts)", status: $0.status) }
        ) { (_) throws(WriterError) -> RetryPolicy.Attempt<Void, WriterError> in
            let state = StreamState()
            let outcome = await request.perform(
                url: url, headers: headers, body: body, connectTimeout: configuration.connectTimeout,
                idleTimeout: configuration.idleTimeout
            ) { bytes in
                Self.read(bytes, into: state, name: name, yield: yield)
            }
            if request.isCancelled { throw cancelled }
            if let streamError = state.streamError { throw streamError }
            if outcome.status == 200, state.done {
                yield(.finished(promptTokens: state.usage.prompt, completionTokens: state.usage.completion, finishReason: state.finishReason))
                return .success(())
            }
            if state.sawToken {
                throw WriterError(
                    .incomplete, "\(name): the stream broke off before it was done (\(outcome.transportError ?? "no [DONE]")); the text is incomplete",
                    status: outcome.status)
            }
            if outcome.status == 0 || outcome.status == 200 {
                return .retry(WriterError(.transport, "\(name): \(url): \(outcome.transportError ?? "the stream ended before any token")"), retryAfter: 0)
            }
            let detail = (try? JSONDecoder().decode(ErrorBody.self, from: Data(outcome.errorBody)))?.error
            let message = detail?.message ?? String(decoding: outcome.errorBody.prefix(300), as: UTF8.self)
            if detail?.code == "model_decommissioned" || detail?.code == "model_not_found" {
                throw WriterError(
                    .invalidConfiguration, "\(name) no longer serves the model \"\(configuration.model)\" (\(message)); choose a current one with --llm-model",
                    status: outcome.status)
            }
            let failure = WriterError(.provider, "\(name) answered \(outcome.status): \(message)", status: outcome.status)
            guard outcome.status == 429 || outcome.status >= 500 else { throw failure }
            return .retry(failure, retryAfter: outcome.headers["retry-after"].flatMap(Double.init) ?? 0)
        }
    }

    /// Feeds one chunk of a 200 answer to `state`'s parser; false stops the transfer (`[DONE]` or a bad event).
    private static func read(_ bytes: UnsafeRawBufferPointer, into state: StreamState, name: String, yield: (LLMEvent) -> Void) -> Bool {
        let events: [ServerSentEventParser.Event]
        do { events = try state.parser.feed(bytes) } catch {
            state.streamError = error
            return false
        }
        for event in events {
            if event.data == "[DONE]" {
                state.done = true
                return false
            }
            let chunk: Chunk
            do { chunk = try JSONDecoder().decode(Chunk.self, from: Data(event.data.utf8)) } catch {
                state.streamError = WriterError(.invalidResponse, "\(name) sent an event that is not a chat completion chunk: \(event.data.prefix(120))")
                return false
            }
            if let failure = chunk.error ?? (event.name == "error" ? Chunk.Failure(message: event.data) : nil) {
                state.streamError = WriterError(.provider, "\(name) reported an error mid-stream: \(failure.message ?? "no message")")
                return false
            }
            if let reported = chunk.usage ?? chunk.x_groq?.usage { state.usage = (reported.prompt_tokens, reported.completion_tokens) }
            for choice in chunk.choices ?? [] {
                if let reason = choice.finish_reason { state.finishReason = reason }
                if let text = choice.delta?.content, !text.isEmpty {
                    state.sawToken = true
                    yield(.token(text))
                }
            }
        }
        return true
    }
}

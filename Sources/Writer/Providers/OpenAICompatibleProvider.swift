internal import Foundation
public import Logging

/// Chat completions streamed from Groq or any OpenAI-compatible API:
/// `POST {baseURL}/v1/chat/completions` with `"stream": true`, read as server-sent events
/// while they arrive.
///
/// Retries (with exponential backoff and full jitter, waiting what `Retry-After` asks up to a
/// cap) happen only before the first token: 429, 5xx and transport failures. After a token a
/// failure ends the stream with `.incomplete`, so partial text is never taken for a post.
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
        /// The longest wait a `Retry-After` may impose, in seconds. Default 30.
        public var maximumRetryAfter: Double
        /// Sampling temperature. Default 0.7.
        public var temperature: Double

        /// A configuration with the defaults above.
        public init(name: String, baseURL: String, apiKey: String, model: String, connectTimeout: Double = 10, idleTimeout: Double = 30,
                    maximumRetries: Int = 3, initialBackoff: Double = 0.5, maximumRetryAfter: Double = 30, temperature: Double = 0.7) {
            self.name = name
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.connectTimeout = connectTimeout
            self.idleTimeout = idleTimeout
            self.maximumRetries = maximumRetries
            self.initialBackoff = initialBackoff
            self.maximumRetryAfter = maximumRetryAfter
            self.temperature = temperature
        }

        /// Groq's API (`GROQ_API_KEY`); `llama-3.3-70b-versatile` unless told otherwise.
        public static func groq(apiKey: String, baseURL: String = "https://api.groq.com/openai", model: String = "llama-3.3-70b-versatile") -> Configuration {
            Configuration(name: "groq", baseURL: baseURL, apiKey: apiKey, model: model)
        }
    }

    public let configuration: Configuration
    let logger: Logger

    public var name: String { configuration.name }
    public var model: String { configuration.model }

    /// A provider; throws `.invalidConfiguration` without a key or with a base URL that is not http(s).
    public init(configuration: Configuration, logger: Logger = Logger(label: "onering.writer", factory: { _ in SwiftLogNoOpLogHandler() })) throws(WriterError) {
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
        var model: String
        var messages: [ChatMessage]
        var stream = true
        var max_tokens: Int
        var temperature: Double
    }

    private struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
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
        struct Detail: Decodable { var message: String }
        var error: Detail
    }

    public func stream(_ messages: [ChatMessage], maximumTokens: Int) -> AsyncThrowingStream<LLMEvent, any Error> {
        let request = CurlStreamingRequest()
        let configuration = configuration, logger = logger
        return AsyncThrowingStream { continuation in
            continuation.onTermination = { _ in request.cancel() }
            Thread.detachNewThread {
                do {
                    try Self.run(messages, maximumTokens: maximumTokens, configuration: configuration, logger: logger, request: request) {
                        continuation.yield($0)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// The blocking body of ``stream(_:maximumTokens:)``: attempts until a stream starts, then reads it.
    private static func run(_ messages: [ChatMessage], maximumTokens: Int, configuration: Configuration, logger: Logger,
                            request: CurlStreamingRequest, yield: @escaping (LLMEvent) -> Void) throws(WriterError) {
        let name = configuration.name
        let url = configuration.baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/chat/completions"
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(RequestBody(model: configuration.model, messages: messages, max_tokens: maximumTokens,
                                                              temperature: configuration.temperature)))
        } catch {
            throw WriterError(.invalidInput, "cannot encode the request: \(error)")
        }
        let headers = ["Content-Type: application/json", "Accept: text/event-stream", "Authorization: Bearer \(configuration.apiKey)", "Expect:"]
        var attempt = 0
        while true {
            var parser = ServerSentEventParser()
            var sawToken = false, done = false
            var usage: (Int?, Int?) = (nil, nil)
            var streamError: WriterError?
            let outcome = request.perform(url: url, headers: headers, body: body, connectTimeout: configuration.connectTimeout,
                                          idleTimeout: configuration.idleTimeout) { bytes in
                for event in parser.feed(bytes) {
                    if event.data == "[DONE]" {
                        done = true
                        return false
                    }
                    let chunk: Chunk
                    do { chunk = try JSONDecoder().decode(Chunk.self, from: Data(event.data.utf8)) } catch {
                        streamError = WriterError(.invalidResponse, "\(name) sent an event that is not a chat completion chunk: \(event.data.prefix(120))")
                        return false
                    }
                    if let failure = chunk.error {
                        streamError = WriterError(.provider, "\(name) reported an error mid-stream: \(failure.message ?? "no message")")
                        return false
                    }
                    if let reported = chunk.usage ?? chunk.x_groq?.usage { usage = (reported.prompt_tokens, reported.completion_tokens) }
                    for choice in chunk.choices ?? [] {
                        if let text = choice.delta?.content, !text.isEmpty {
                            sawToken = true
                            yield(.token(text))
                        }
                    }
                }
                return true
            }
            if request.isCancelled { throw WriterError(.cancelled, "\(name): the request was cancelled") }
            if let streamError { throw streamError }
            if outcome.status == 200, done {
                yield(.finished(promptTokens: usage.0, completionTokens: usage.1))
                return
            }
            if sawToken {
                throw WriterError(.incomplete, "\(name): the stream broke off before it was done (\(outcome.transportError ?? "no [DONE]")); the text is incomplete", status: outcome.status)
            }
            let failure: WriterError
            var retryAfter = 0.0
            if outcome.status == 0 || (outcome.status == 200 && !done) {
                failure = WriterError(.transport, "\(name): \(url): \(outcome.transportError ?? "the stream ended before any token")")
            } else {
                let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(outcome.errorBody)))?.error.message
                    ?? String(decoding: outcome.errorBody.prefix(300), as: UTF8.self)
                failure = WriterError(.provider, "\(name) answered \(outcome.status): \(message)", status: outcome.status)
                guard outcome.status == 429 || outcome.status >= 500 else { throw failure }
                retryAfter = outcome.headers["retry-after"].flatMap(Double.init) ?? 0
            }
            guard attempt < configuration.maximumRetries else {
                throw WriterError(failure.code, "\(failure.message) (gave up after \(attempt + 1) attempts)", status: failure.status)
            }
            let backoff = configuration.initialBackoff * pow(2, Double(attempt))
            let wait = min(max(retryAfter, Double.random(in: 0...backoff)), configuration.maximumRetryAfter)
            logger.warning("\(failure.message); waiting \(String(format: "%.1f", wait)) s before retry \(attempt + 1) of \(configuration.maximumRetries)")
            let deadline = Date().addingTimeInterval(wait)
            while Date() < deadline {
                if request.isCancelled { throw WriterError(.cancelled, "\(name): the request was cancelled") }
                Thread.sleep(forTimeInterval: min(0.05, max(0, deadline.timeIntervalSinceNow)))
            }
            attempt += 1
        }
    }
}

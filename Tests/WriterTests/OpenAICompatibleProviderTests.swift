import Foundation
import Testing
import Writer
import _TestSupport

@Suite("OpenAI-compatible streaming provider, against a local server speaking the wire format")
struct OpenAICompatibleProviderTests {
    static func chunk(_ content: String) -> String {
        #"data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\#(content)"},"finish_reason":null}]}"# + "\n\n"
    }

    static func provider(_ server: LocalHTTPServer, retries: Int = 2) throws -> OpenAICompatibleProvider {
        try OpenAICompatibleProvider(
            configuration: .init(
                name: "groq", baseURL: "http://127.0.0.1:\(server.port)", apiKey: "test-key", model: "llama-test",
                connectTimeout: 2, idleTimeout: 5, maximumRetries: retries, initialBackoff: 0.01, maximumRetryAfter: 0.3
            ))
    }

    static func collect(_ stream: AsyncThrowingStream<LLMEvent, any Error>) async throws -> (text: String, events: [LLMEvent]) {
        var events: [LLMEvent] = []
        for try await event in stream { events.append(event) }
        return (events.compactMap { if case .token(let t) = $0 { t } else { nil } }.joined(), events)
    }

    @Test("tokens arrive through split lines, CRLF, comments, empty deltas and a usage chunk, up to [DONE]")
    func framing() async throws {
        let body =
            Self.chunk("Hello") + ": keep-alive\n\n"
            + #"data: {"choices":[{"index":0,"delta":{}}]}"# + "\r\n\r\n"
            + Self.chunk(", wor") + Self.chunk("ld")
            + #"data: {"choices":[],"x_groq":{"usage":{"prompt_tokens":12,"completion_tokens":3}}}"# + "\n\n"
            + "data: [DONE]\n\n"
        let bytes = Array(body.utf8)
        // Cut into pieces that split lines and even the "data:" prefix.
        let cuts = [0, 5, 31, 60, 61, 140, 200, 260, bytes.count]
        let chunks = zip(cuts, cuts.dropFirst()).map { (pause: 0.02, bytes: Data(bytes[$0..<min($1, bytes.count)])) }
        let server = try LocalHTTPServer { _, _ in .init(status: 200, headers: ["Content-Type": "text/event-stream"], chunks: chunks) }
        defer { server.stop() }
        let (text, events) = try await Self.collect(Self.provider(server).stream([.init(role: .user, content: "hi")], maximumTokens: 20))
        #expect(text == "Hello, world")
        #expect(events.last == .finished(promptTokens: 12, completionTokens: 3, finishReason: nil))
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/chat/completions" && request.headers["authorization"] == "Bearer test-key")
        let sent = try JSONSerialization.jsonObject(with: request.body) as? [String: Any]
        #expect(sent?["stream"] as? Bool == true && sent?["model"] as? String == "llama-test")
        // Usage on a stream comes only when asked for.
        #expect((sent?["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
    }

    @Test("OpenAI's usage chunk (choices: []) and the finish reason reach the finished event")
    func usageAndFinishReason() async throws {
        let body =
            Self.chunk("Cut")
            + #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}"# + "\n\n"
            + #"data: {"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":16,"total_tokens":56}}"# + "\n\n"
            + "data: [DONE]\n\n"
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: [(0, Data(body.utf8))]) }
        defer { server.stop() }
        let (_, events) = try await Self.collect(Self.provider(server).stream([.init(role: .user, content: "hi")], maximumTokens: 16))
        #expect(events.last == .finished(promptTokens: 40, completionTokens: 16, finishReason: "length"))
    }

    @Test("a decommissioned model is not retried, and the error names the model and the option to change it")
    func decommissionedModel() async throws {
        let server = try LocalHTTPServer { _, _ in
            .init(
                status: 400,
                body: Data(
                    #"{"error":{"message":"The model `llama-test` has been decommissioned and is no longer supported.","type":"invalid_request_error","code":"model_decommissioned"}}"#
                        .utf8))
        }
        defer { server.stop() }
        let error = await #expect(throws: WriterError.self) {
            _ = try await Self.collect(Self.provider(server).stream([.init(role: .user, content: "hi")], maximumTokens: 5))
        }
        #expect(error?.code == .invalidConfiguration && server.requests.count == 1)
        #expect(error?.message.contains("llama-test") == true && error?.message.contains("--llm-model") == true)
    }

    @Test("Groq's default model is a current one, not a decommissioned llama")
    func groqDefault() {
        let model = OpenAICompatibleProvider.Configuration.groq(apiKey: "k").model
        #expect(model == "openai/gpt-oss-120b" && !model.contains("llama-3.3-70b-versatile") && !model.contains("llama-3.1-8b-instant"))
    }

    @Test("event: error mid-stream ends the stream with the provider's error")
    func errorEvent() async throws {
        let body = Self.chunk("Par") + "event: error\ndata: {\"error\":{\"message\":\"Service Unavailable\"}}\n\n"
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: [(0, Data(body.utf8))]) }
        defer { server.stop() }
        let error = await #expect(throws: WriterError.self) {
            _ = try await Self.collect(Self.provider(server).stream([.init(role: .user, content: "hi")], maximumTokens: 5))
        }
        #expect(error?.code == .provider && error?.message.contains("Service Unavailable") == true)
    }

    @Test("a 429 before the first token is retried after Retry-After (capped)")
    func rateLimited() async throws {
        let server = try LocalHTTPServer { _, number in
            number == 1
                ? .init(status: 429, headers: ["Retry-After": "7"], body: Data(#"{"error":{"message":"Rate limit reached for model"}}"#.utf8))
                : .init(status: 200, chunks: [(0, Data((Self.chunk("ok") + "data: [DONE]\n\n").utf8))])
        }
        defer { server.stop() }
        let (text, _) = try await Self.collect(Self.provider(server).stream([.init(role: .user, content: "hi")], maximumTokens: 5))
        #expect(text == "ok" && server.requests.count == 2)
    }

    @Test("401 is not retried, and the error names the provider and status")
    func unauthorized() async throws {
        let server = try LocalHTTPServer { _, _ in .init(status: 401, body: Data(#"{"error":{"message":"Invalid API Key"}}"#.utf8)) }
        defer { server.stop() }
        let error = await #expect(throws: WriterError.self) { try await Self.collect(Self.provider(server).stream([], maximumTokens: 5)) }
        #expect(error?.status == 401 && error?.message == "groq answered 401: Invalid API Key")
        #expect(server.requests.count == 1)
    }

    @Test("an error object mid-stream ends the stream with it")
    func errorMidStream() async throws {
        let server = try LocalHTTPServer { _, _ in
            .init(status: 200, chunks: [(0, Data((Self.chunk("par") + #"data: {"error":{"message":"model overloaded"}}"# + "\n\n").utf8))])
        }
        defer { server.stop() }
        let error = await #expect(throws: WriterError.self) { try await Self.collect(Self.provider(server).stream([], maximumTokens: 5)) }
        #expect(error?.code == .provider && error?.message.contains("model overloaded") == true)
    }

    @Test("a stream cut before [DONE] after some text is incomplete, never a finished post; it is not retried")
    func cutMidStream() async throws {
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: [(0, Data(Self.chunk("half a").utf8))]) }
        defer { server.stop() }
        var tokens: [String] = []
        let error = await #expect(throws: WriterError.self) {
            for try await event in try Self.provider(server).stream([], maximumTokens: 5) {
                if case .token(let text) = event { tokens.append(text) }
                #expect(event != .finished(promptTokens: nil, completionTokens: nil, finishReason: nil))
            }
        }
        #expect(error?.code == .incomplete && tokens == ["half a"] && server.requests.count == 1)
    }

    @Test("malformed event JSON is an invalid response naming the provider")
    func malformed() async throws {
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: [(0, Data("data: {not json\n\n".utf8))]) }
        defer { server.stop() }
        let error = await #expect(throws: WriterError.self) { try await Self.collect(Self.provider(server).stream([], maximumTokens: 5)) }
        #expect(error?.code == .invalidResponse && error?.message.hasPrefix("groq") == true)
    }

    @Test("a consumer that stops reading aborts the transfer")
    func cancellation() async throws {
        // A slow stream of 30 s (600 chunks, 50 ms apart): long enough to outlast a loaded machine.
        let chunks = (0..<600).map { (pause: 0.05, bytes: Data(Self.chunk("t\($0) ").utf8)) }
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: chunks) }
        defer { server.stop() }
        let provider = try Self.provider(server)
        let reader = Task {
            var count = 0
            for try await event in provider.stream([], maximumTokens: 50) {
                if case .token = event { count += 1 }
                if count == 2 { break }
            }
            return count
        }
        #expect(try await reader.value == 2)
        // The server notices the closed connection on a later write.
        var waited = 0
        while server.abandonedResponses == 0, waited < 200 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        #expect(server.abandonedResponses == 1)
    }

    @Test("a 5xx before the first token is retried; an unreachable provider is a transport error naming it")
    func serverErrorsAndUnreachable() async throws {
        let server = try LocalHTTPServer { _, number in
            number < 3
                ? .init(status: 503, body: Data("upstream busy".utf8)) : .init(status: 200, chunks: [(0, Data((Self.chunk("up") + "data: [DONE]\n\n").utf8))])
        }
        defer { server.stop() }
        let (text, _) = try await Self.collect(Self.provider(server, retries: 3).stream([], maximumTokens: 5))
        #expect(text == "up" && server.requests.count == 3)

        let nowhere = try OpenAICompatibleProvider(
            configuration: .init(
                name: "groq", baseURL: "http://127.0.0.1:1", apiKey: "k", model: "m",
                connectTimeout: 1, maximumRetries: 1, initialBackoff: 0.01))
        let error = await #expect(throws: WriterError.self) { try await Self.collect(nowhere.stream([], maximumTokens: 5)) }
        #expect(error?.code == .transport && error?.message.hasPrefix("groq: http://127.0.0.1:1/v1/chat/completions") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("gave up after 2 attempts") == true)
    }
}

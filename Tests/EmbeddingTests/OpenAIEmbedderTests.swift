import Embedding
import Foundation
import Logging
import Testing
import _TestSupport

@Suite("OpenAI-compatible embedder, against a local server speaking the wire format")
struct OpenAIEmbedderTests {
    struct EmbeddingsRequest: Decodable {
        var model: String
        var input: [String]
        var dimensions: Int?
        var encoding_format: String?
    }

    static let documents = (0..<10).map { ProfileDocument(name: "Creator \($0)", bio: "bio number \($0)", posts: []) }

    /// The API's success body: one vector per input (not normalised, listed in reverse order).
    static func success(_ request: LocalHTTPServer.Request, dimensions: Int) -> LocalHTTPServer.Response {
        let decoded = try! JSONDecoder().decode(EmbeddingsRequest.self, from: request.body)
        let items = decoded.input.enumerated().reversed().map { index, text in
            let vector = (0..<dimensions).map { Double(text.count + $0 % 7) + 1 }
            return "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":[\(vector.map { String($0) }.joined(separator: ","))]}"
        }
        let body =
            "{\"object\":\"list\",\"data\":[\(items.joined(separator: ","))],\"model\":\"\(decoded.model)\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}"
        return .init(status: 200, headers: ["Content-Type": "application/json"], body: Data(body.utf8))
    }

    static func embedder(_ server: LocalHTTPServer, _ change: (inout OpenAIEmbedder.Configuration) -> Void = { _ in }) throws -> OpenAIEmbedder {
        var configuration = OpenAIEmbedder.Configuration(
            baseURL: "http://127.0.0.1:\(server.port)", apiKey: "test-key", dimensions: 8, nativeDimensions: 8,
            maximumInputsPerRequest: 4, timeout: 5, maximumRetries: 3, initialBackoff: 0.01, maximumBackoff: 0.05
        )
        change(&configuration)
        return try OpenAIEmbedder(configuration: configuration)
    }

    @Test("embeds in batches, in order, normalised, with the key and model on the wire")
    func success() async throws {
        let server = try LocalHTTPServer { request, _ in Self.success(request, dimensions: 8) }
        defer { server.stop() }
        let embedder = try Self.embedder(server)
        let vectors = try await embedder.embed(Self.documents)
        #expect(vectors.count == 10 * 8)
        for row in 0..<10 {
            let vector = Array(vectors[row * 8..<(row + 1) * 8])
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
            let length = Float(Self.documents[row].text.count)
            #expect(abs(vector[0] / vector[1] - (length + 1) / (length + 2)) < 1e-5, "row \(row) is its own input's vector")
        }
        let requests = server.requests
        #expect(requests.count == 3, "10 inputs at 4 per request")
        #expect(requests.allSatisfy { $0.method == "POST" && $0.path == "/v1/embeddings" })
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer test-key" })
        let first = try JSONDecoder().decode(EmbeddingsRequest.self, from: requests[0].body)
        #expect(first.model == "text-embedding-3-small" && first.dimensions == nil && first.encoding_format == "float")
    }

    @Test("`dimensions` is sent when the store's differs from the model's")
    func reducedDimensions() async throws {
        let server = try LocalHTTPServer { request, _ in Self.success(request, dimensions: 8) }
        defer { server.stop() }
        let embedder = try Self.embedder(server) { $0.nativeDimensions = 1536 }
        _ = try await embedder.embed(Array(Self.documents.prefix(1)))
        let sent = try JSONDecoder().decode(EmbeddingsRequest.self, from: server.requests[0].body)
        #expect(sent.dimensions == 8)
        #expect(embedder.modelID == "text-embedding-3-small@8")
    }

    @Test("429 with Retry-After is waited out and retried")
    func rateLimited() async throws {
        let server = try LocalHTTPServer { request, number in
            number == 1
                ? .init(status: 429, headers: ["Retry-After": "1"], body: Data(#"{"error":{"message":"Rate limit reached","type":"requests"}}"#.utf8))
                : Self.success(request, dimensions: 8)
        }
        defer { server.stop() }
        let started = Date()
        let vectors = try await Self.embedder(server).embed(Array(Self.documents.prefix(2)))
        #expect(vectors.count == 16)
        #expect(Date().timeIntervalSince(started) >= 0.9, "Retry-After: 1 was honoured")
        #expect(server.requests.count == 2)
    }

    @Test("5xx is retried, then reported with the status after the last attempt")
    func serverErrors() async throws {
        let server = try LocalHTTPServer { _, _ in .init(status: 503, body: Data("upstream unavailable".utf8)) }
        defer { server.stop() }
        let error = await #expect(throws: EmbeddingError.self) { try await Self.embedder(server).embed(Array(Self.documents.prefix(1))) }
        #expect(error?.code == .provider && error?.status == 503)
        #expect(error?.message.contains("upstream unavailable") == true)
        #expect(server.requests.count == 4, "one attempt and three retries")
    }

    @Test("a 4xx fails at once with the provider's message")
    func clientError() async throws {
        let server = try LocalHTTPServer { _, _ in
            .init(status: 401, body: Data(#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#.utf8))
        }
        defer { server.stop() }
        let error = await #expect(throws: EmbeddingError.self) { try await Self.embedder(server).embed(Array(Self.documents.prefix(1))) }
        #expect(error?.code == .provider && error?.status == 401)
        #expect(error?.message.contains("Incorrect API key provided") == true)
        #expect(server.requests.count == 1)
    }

    @Test("a response slower than the timeout is a transport error")
    func slow() async throws {
        let server = try LocalHTTPServer { request, _ in
            var response = Self.success(request, dimensions: 8)
            response.delay = 2
            return response
        }
        defer { server.stop() }
        let embedder = try Self.embedder(server) {
            $0.timeout = 0.3
            $0.maximumRetries = 0
        }
        let error = await #expect(throws: EmbeddingError.self) { try await embedder.embed(Array(Self.documents.prefix(1))) }
        #expect(error?.code == .transport)
    }

    @Test(
        "malformed JSON, wrong dimensions and zero vectors are refused",
        arguments: [
            (#"{"data": [ {"index": 0, "embedding": [1, 2"#, EmbeddingError.Code.invalidResponse),
            (#"{"data": [{"index": 0, "embedding": [1, 2, 3]}]}"#, .invalidVector),
            (#"{"data": [{"index": 0, "embedding": [0, 0, 0, 0, 0, 0, 0, 0]}]}"#, .invalidVector),
            (#"{"data": [{"index": 3, "embedding": [1, 1, 1, 1, 1, 1, 1, 1]}]}"#, .invalidResponse),
        ])
    func badResponses(body: String, code: EmbeddingError.Code) async throws {
        let server = try LocalHTTPServer { _, _ in .init(status: 200, body: Data(body.utf8)) }
        defer { server.stop() }
        let error = await #expect(throws: EmbeddingError.self) { try await Self.embedder(server).embed(Array(Self.documents.prefix(1))) }
        #expect(error?.code == code, "\(error?.message ?? "")")
    }

    @Test("no API key is a configuration error")
    func missingKey() {
        let error = #expect(throws: EmbeddingError.self) { try OpenAIEmbedder(configuration: .init(apiKey: "")) }
        #expect(error?.code == .invalidConfiguration && error?.message.contains("OPENAI_API_KEY") == true)
    }

    @Test("a server that refuses connections is a transport error after the retries")
    func refused() async throws {
        let server = try LocalHTTPServer { request, _ in Self.success(request, dimensions: 8) }
        let port = server.port
        server.stop()
        let embedder = try OpenAIEmbedder(
            configuration: .init(
                baseURL: "http://127.0.0.1:\(port)", apiKey: "k", dimensions: 8, nativeDimensions: 8,
                maximumRetries: 1, initialBackoff: 0.01
            ))
        let error = await #expect(throws: EmbeddingError.self) { try await embedder.embed(Array(Self.documents.prefix(1))) }
        #expect(error?.code == .transport)
    }

    @Test("a long Retry-After is capped, and the wait is reported with its reason")
    func cappedRetryAfter() async throws {
        let server = try LocalHTTPServer { request, number in
            number == 1
                ? .init(status: 429, headers: ["Retry-After": "20"], body: Data(#"{"error":{"message":"Rate limit reached"}}"#.utf8))
                : Self.success(request, dimensions: 8)
        }
        defer { server.stop() }
        let handler = CapturingLogHandler()
        var configuration = try Self.embedder(server).configuration
        configuration.maximumRetryAfter = 0.2
        let embedder = try OpenAIEmbedder(configuration: configuration, logger: handler.logger)
        _ = try await embedder.embed(Array(Self.documents.prefix(2)))
        let messages = handler.messages
        #expect(messages.count == 1)
        #expect(messages.first?.contains("waiting 0.2 s before retry 1 of 3") == true, "\(messages)")
        #expect(messages.first?.contains("it asked to wait 20.0 s (Retry-After, capped at 0.2 s)") == true, "\(messages)")
    }

    @Test("NaN, infinity and values past Float's range are named by input and component", arguments: ["NaN", "Infinity", "1e39"])
    func badValues(value: String) async throws {
        let server = try LocalHTTPServer { _, _ in
            .init(status: 200, headers: [:], body: Data(#"{"data":[{"index":0,"embedding":[0.5,0.5,\#(value),0.5,0.5,0.5,0.5,0.5]}]}"#.utf8))
        }
        defer { server.stop() }
        let error = await #expect(throws: EmbeddingError.self) { try await Self.embedder(server).embed([Self.documents[0]]) }
        #expect(error?.code == .invalidVector)
        #expect(error?.message.contains("at component 2 of the vector for input 0") == true, "\(error?.message ?? "")")
    }

    @Test("a finite vector of huge components is normalised, not rejected")
    func hugeComponents() async throws {
        let server = try LocalHTTPServer { _, _ in
            .init(status: 200, headers: [:], body: Data(#"{"data":[{"index":0,"embedding":[3e30,4e30,0,0,0,0,0,0]}]}"#.utf8))
        }
        defer { server.stop() }
        let vector = try await Self.embedder(server).embed([Self.documents[0]])
        #expect(abs(vector[0] - 0.6) < 1e-6 && abs(vector[1] - 0.8) < 1e-6)
    }
}

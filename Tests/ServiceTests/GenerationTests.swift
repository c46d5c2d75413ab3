import Foundation
import Hummingbird
import HummingbirdTesting
import ProfileStore
import Service
import ServiceLifecycle
import Testing
import Writer
import _TestSupport

@Suite("Streamed generation: server-sent events, the rate limit, disconnects, shutdown")
struct GenerationTests {
    /// One OpenAI-style streamed chunk.
    static func chunk(_ content: String) -> String {
        #"data: {"choices":[{"index":0,"delta":{"content":"\#(content)"}}]}"# + "\n\n"
    }

    /// The writer configured for a local OpenAI-compatible server.
    static func localProvider(_ server: LocalHTTPServer) -> ServiceConfiguration.WriterProvider {
        .openAICompatible(
            .init(
                name: "local", baseURL: "http://127.0.0.1:\(server.port)", apiKey: "test-key", model: "local-model",
                connectTimeout: 2, idleTimeout: 10, maximumRetries: 0))
    }

    @Test("token events as they come, then one done event with the formatted post, and a trace")
    func framing() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let token = try await fixture.token(fixture.firstUser)
                let response = try await client.send(
                    .post, "/v1/generate/content", token: token,
                    json: #"{"user_id": \#(fixture.firstUser), "platform": "instagram", "brief": "my recovery weeks"}"#)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
                let events = serverSentEvents(response.text)
                #expect(events.count > 2)
                #expect(events.dropLast().allSatisfy { $0.name == "token" || $0.name == "step" })
                #expect(events.filter { $0.name == "step" }.map { $0.data["key"] as? String } == ["research", "strategy", "write.1", "review.1", "schedule"])
                let done = try #require(events.last)
                #expect(done.name == "done")
                let text = events.dropLast().filter { $0.name == "token" }.compactMap { $0.data["text"] as? String }.joined()
                #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == done.data["text"] as? String)
                #expect((done.data["post"] as? [String: Any])?["platform"] as? String == "instagram")
                #expect((done.data["contextItems"] as? [String])?.first == "creator:\(fixture.firstUser)")
                #expect(done.data["provider"] as? String == "offline")
                #expect(done.data["timings"] != nil)
                var traces: [GenerationTrace] = []
                for _ in 0..<50 where traces.isEmpty {
                    try await Task.sleep(for: .milliseconds(20))
                    traces = try await fixture.store.generationTraces()
                }
                #expect(traces.first?.status == .succeeded)
                #expect(traces.first?.userID == fixture.firstUser)
                #expect(traces.first?.platform == "instagram")
            }
        }
    }

    @Test("a provider that fails mid-stream ends the stream with an error event")
    func providerFailure() async throws {
        let server = try LocalHTTPServer { _, _ in
            .init(status: 200, chunks: [(0, Data((Self.chunk("Half a") + #"data: {"error":{"message":"model overloaded"}}"# + "\n\n").utf8))])
        }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            // A raw connection, not the test client, whose 20 s limit a machine running every suite
            // at once can pass while the pipeline retries.
            try await fixture.withServer({ $0.writer = Self.localProvider(server) }) { port, _ in
                let connection = try RawHTTPConnection(port: port)
                connection.post(
                    "/v1/generate/content", json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "a brief"}"#,
                    token: try await fixture.token(fixture.firstUser))
                #expect(await connection.closedByPeer(timeout: 120), "\(connection.text)")
                #expect(connection.text.hasPrefix("HTTP/1.1 200"), "\(connection.text)")
                let events = serverSentEvents(connection.body).filter { $0.name != "step" }
                #expect(events.first?.name == "token")
                // The broken stream is written again twice (the pipeline's retries), then the step fails.
                #expect(events.filter { $0.name == "retry" }.count == 2)
                #expect(events.last?.name == "error")
                #expect((events.last?.data["message"] as? String)?.contains("model overloaded") == true)
                #expect(events.last?.data["step"] as? String == "write.1")
                #expect(!events.contains { $0.name == "done" })
            }
        }
    }

    @Test("the limit holds across two server processes on one database: 429 with Retry-After")
    func rateLimitShared() async throws {
        try await ServiceFixture.with(cohorts: nil) { fixture in
            let limited = try fixture.configuration { $0.generationLimit = .init(count: 2, window: .seconds(900)) }
            let body = #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "a brief"}"#
            let token = try await fixture.token(fixture.firstUser)
            try await fixture.withApplication(limited) { first in
                try await fixture.withApplication(limited) { second in
                    #expect(try await first.send(.post, "/v1/generate/content", token: token, json: body).status == .ok)
                    #expect(try await second.send(.post, "/v1/generate/content", token: token, json: body).status == .ok)
                    let refused = try await first.send(.post, "/v1/generate/content", token: token, json: body)
                    #expect(refused.status == .tooManyRequests)
                    #expect(refused.errorCode == "rateLimited")
                    let wait = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
                    #expect((1...900).contains(wait))
                    #expect(try await second.send(.post, "/v1/generate/content", token: token, json: body).status == .tooManyRequests)
                    // Another creator has a limit of their own.
                    let other = try await fixture.token(fixture.secondUser)
                    #expect(
                        try await second.send(
                            .post, "/v1/generate/content", token: other,
                            json: #"{"user_id": \#(fixture.secondUser), "platform": "x", "brief": "b"}"#
                        ).status == .ok)
                }
            }
        }
    }

    @Test("a client that disconnects cancels the provider's request; the trace says cancelled")
    func disconnectCancelsUpstream() async throws {
        let chunks = (0..<600).map { (pause: 0.05, bytes: Data(Self.chunk("t\($0) ").utf8)) }
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: chunks) }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await Self.streaming(fixture, from: server) { connection, _ in
                connection.disconnect()
                var abandoned = 0
                for _ in 0..<200 where abandoned == 0 {
                    try await Task.sleep(for: .milliseconds(50))
                    abandoned = server.abandonedResponses
                }
                #expect(abandoned == 1)
                var traces: [GenerationTrace] = []
                for _ in 0..<100 where traces.isEmpty {
                    try await Task.sleep(for: .milliseconds(50))
                    traces = try await fixture.store.generationTraces()
                }
                #expect(traces.first?.status == .cancelled)
            }
        }
    }

    @Test("a client that leaves while the provider is silent is noticed by the keep-alive; the trace says cancelled")
    func disconnectWhileProviderIsSilent() async throws {
        // One token, then nothing for 20 s: without keep-alives the service would notice only then.
        let chunks = [(pause: 0.0, bytes: Data(Self.chunk("first ").utf8)), (pause: 20.0, bytes: Data(Self.chunk("late ").utf8))]
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: chunks) }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await Self.streaming(fixture, from: server, keepAlive: .milliseconds(100)) { connection, _ in
                connection.disconnect()
                let left = ContinuousClock.now
                var traces: [GenerationTrace] = []
                for _ in 0..<100 where traces.isEmpty {
                    try await Task.sleep(for: .milliseconds(50))
                    traces = try await fixture.store.generationTraces()
                }
                #expect(traces.first?.status == .cancelled)
                #expect(ContinuousClock.now - left < .seconds(5), "noticed long before the provider's next chunk")
            }
        }
    }

    @Test("a quiet stream carries keep-alive comments between its events")
    func keepAliveComments() async throws {
        // Two seconds of silence: twenty keep-alive intervals, even on a machine busy with other tests.
        let chunks = [
            (pause: 0.0, bytes: Data(Self.chunk("first ").utf8)), (pause: 2.0, bytes: Data(Self.chunk("second ").utf8)),
            (pause: 0.0, bytes: Data("data: [DONE]\n\n".utf8)),
        ]
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: chunks) }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await Self.streaming(fixture, from: server, keepAlive: .milliseconds(100)) { connection, _ in
                #expect(await connection.read(until: "event: done"))
                // A comment line (leading colon) that SSE clients skip, in the silence between two events.
                let text = connection.text
                let first = try #require(text.range(of: #""text":"first ""#)), second = try #require(text.range(of: #""text":"second ""#))
                try #require(first.upperBound <= second.lowerBound)
                #expect(text[first.upperBound..<second.lowerBound].contains("\n: keep-alive\n\n"))
            }
        }
    }

    @Test("a graceful shutdown lets a streaming request finish")
    func gracefulShutdown() async throws {
        let chunks = (0..<20).map { (pause: 0.05, bytes: Data(Self.chunk("t\($0) ").utf8)) } + [(0.0, Data("data: [DONE]\n\n".utf8))]
        let server = try LocalHTTPServer { _, _ in .init(status: 200, chunks: chunks) }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await Self.streaming(fixture, from: server) { connection, group in
                await group.triggerGracefulShutdown()
                #expect(await connection.read(until: "event: done"))
                #expect(connection.text.contains("t19"))
            }
        }
    }

    /// Serves `fixture` with the writer at `server` in a service group of its own, then calls `body`
    /// with a raw connection that has asked for a generation and read its first token, and the
    /// group; shuts the service down afterwards.
    static func streaming(
        _ fixture: ServiceFixture, from server: LocalHTTPServer, keepAlive: Duration = .seconds(5),
        _ body: (RawHTTPConnection, ServiceGroup) async throws -> Void
    ) async throws {
        try await fixture.withServer({
            $0.writer = Self.localProvider(server)
            $0.streamKeepAlive = keepAlive
        }) { port, group in
            let connection = try RawHTTPConnection(port: port)
            connection.post(
                "/v1/generate/content", json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "b"}"#,
                token: try await fixture.token(fixture.firstUser))
            #expect(await connection.read(until: "event: token"), "\(connection.text)")
            try await body(connection, group)
        }
    }
}

import Foundation
import Generation
import Hummingbird
import HummingbirdTesting
import ProfileStore
import Service
import Synchronization
import Testing
import _TestSupport

/// One test at a time: each runs a service with its fixture, and the suite shares two cores
/// with every other suite.
@Suite("The generation pipeline on the live service: steps, variants, review, jobs, traces", .serialized)
struct GenerationPipelineTests {
    /// The service writing with a local OpenAI-compatible server, retrying a failed draft quickly.
    static func configuration(_ fixture: ServiceFixture, server: LocalHTTPServer) throws -> ServiceConfiguration {
        try fixture.configuration {
            $0.writer = GenerationTests.localProvider(server)
            $0.generations.retry = .init(maximumRetries: 2, initialBackoff: 0.01, maximumBackoff: 0.05)
        }
    }

    /// The first example the prompt quotes: its author's handle and its text.
    static func firstExample(in request: LocalHTTPServer.Request) -> (handle: String, text: String)? {
        let system = request.chatMessages.first?.content ?? ""
        guard let line = system.split(separator: "\n").first(where: { $0.hasPrefix("1. @") }),
            let quote = line.range(of: "]: \"")
        else { return nil }
        let handle = line.dropFirst(4).prefix { $0 != " " }
        let text = line[quote.upperBound...].dropLast().replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
        return (String(handle), text)
    }

    /// Polls generation `id` until it is no longer queued or running.
    static func finished(_ id: Int, client: any TestClientProtocol, token: String) async throws -> [String: Any] {
        for _ in 0..<2_400 {
            let job = try await client.send(.get, "/v1/generations/\(id)", token: token).object
            if let status = job["status"] as? String, status != "queued", status != "running" { return job }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("generation \(id) did not finish")
        return [:]
    }

    @Test("three variants stream step by step, reviewed and ranked, with a trace of nine spans")
    func threeVariants() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let token = try await fixture.token(fixture.firstUser)
                let response = try await client.send(
                    .post, "/v1/generate/content", token: token,
                    json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "my recovery weeks", "variants": 3, "time_zone": "Europe/Berlin"}"#
                )
                #expect(response.status == .ok)
                let events = serverSentEvents(response.text)
                let steps = events.filter { $0.name == "step" }.compactMap { $0.data["key"] as? String }
                #expect(steps == ["research", "strategy", "write.1", "review.1", "write.2", "review.2", "write.3", "review.3", "schedule"])
                #expect(Set(events.filter { $0.name == "token" }.compactMap { $0.data["variant"] as? Int }) == [1, 2, 3])
                let done = try #require(events.last)
                #expect(done.name == "done")
                let variants = try #require(done.data["variants"] as? [[String: Any]])
                #expect(variants.map { $0["rank"] as? Int } == [1, 2, 3])
                #expect(Set(variants.compactMap { ($0["angle"] as? [String: Any])?["name"] as? String }).count == 3)
                #expect(Set(variants.compactMap { $0["text"] as? String }).count == 3, "each angle writes its own draft")
                #expect(variants.allSatisfy { ($0["reasons"] as? [String])?.isEmpty == false })
                #expect(variants.allSatisfy { $0["verdict"] as? String == "ready" }, "the angles' drafts repeat neither each other nor the exemplars")
                #expect(done.data["text"] as? String == variants[0]["text"] as? String, "the top-level post is the best variant's")
                let schedule = try #require(done.data["schedule"] as? [String: Any])
                #expect((schedule["localTime"] as? String)?.hasSuffix("Europe/Berlin") == true)
                #expect((schedule["why"] as? String)?.isEmpty == false)

                let traceID = try #require(done.data["traceID"] as? Int)
                let trace = try await client.send(.get, "/v1/traces/\(traceID)", token: token)
                #expect(trace.status == .ok)
                let spans = try #require(trace.object["spans"] as? [[String: Any]])
                #expect(
                    spans.compactMap { $0["name"] as? String } == ["research", "strategy", "write", "review", "write", "review", "write", "review", "schedule"])
                #expect(spans.allSatisfy { $0["status"] as? String == "ok" && ($0["durationMilliseconds"] as? Double ?? -1) >= 0 })
                #expect(trace.object["variants"] as? Int == 3)
                let other = try await client.send(.get, "/v1/traces/\(traceID)", token: try await fixture.token(fixture.secondUser))
                #expect(other.status == .notFound, "another creator's trace is not theirs to read")
            }
        }
    }

    @Test("a job: 202 with Location, each step stored as it completes, the ranked variants; only its creator sees it")
    func job() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let token = try await fixture.token(fixture.firstUser)
                let submitted = try await client.send(
                    .post, "/v1/generations", token: token,
                    json: #"{"user_id": \#(fixture.firstUser), "platform": "instagram", "brief": "tempo runs", "variants": 3}"#)
                #expect(submitted.status == .accepted)
                let id = try #require(submitted.object["id"] as? Int)
                #expect(submitted.headers[.location] == "/v1/generations/\(id)")
                let job = try await Self.finished(id, client: client, token: token)
                #expect(job["status"] as? String == "succeeded", "\(job)")
                let steps = (job["steps"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
                #expect(Set(steps) == ["research", "strategy", "write.1", "review.1", "write.2", "review.2", "write.3", "review.3", "schedule"])
                let result = try #require(job["result"] as? [String: Any])
                #expect((result["variants"] as? [Any])?.count == 3)
                #expect(result["generationID"] as? Int == id)
                let traceID = try #require(job["trace_id"] as? Int)
                #expect(try await client.send(.get, "/v1/traces/\(traceID)", token: token).status == .ok)

                let other = try await fixture.token(fixture.secondUser)
                #expect(try await client.send(.get, "/v1/generations/\(id)", token: other).status == .notFound)
                #expect(try await client.send(.post, "/v1/generations/\(id)/retry", token: other).status == .notFound)
                let again = try await client.send(.post, "/v1/generations/\(id)/retry", token: token)
                #expect(again.status == .conflict, "only a failed job is retried")
                #expect(try await client.send(.get, "/v1/generations/99999", token: token).status == .notFound)
            }
        }
    }

    @Test("a provider that keeps failing fails the job in its step; retried, it resumes with no finished step written again")
    func failedJobResumes() async throws {
        let healthy = Atomic<Bool>(false)
        let drafts = [
            "Tempo runs taught me patience. Start slower than you think. What is your easy pace?",
            "My long runs got easier the week I stopped racing them. Slow is a skill too.",
        ]
        let server = try LocalHTTPServer { _, number in
            // The first draft is written; then the provider fails until it recovers.
            number == 1 || healthy.load(ordering: .acquiring)
                ? .chatCompletion(drafts[number == 1 ? 0 : 1])
                : .init(status: 500, body: Data(#"{"error": {"message": "upstream overloaded"}}"#.utf8))
        }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await fixture.withApplication(try Self.configuration(fixture, server: server)) { client in
                let token = try await fixture.token(fixture.firstUser)
                let submitted = try await client.send(
                    .post, "/v1/generations", token: token,
                    json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "tempo runs", "variants": 2}"#)
                let id = try #require(submitted.object["id"] as? Int)
                let failed = try await Self.finished(id, client: client, token: token)
                #expect(failed["status"] as? String == "failed")
                #expect(failed["failed_step"] as? String == "write.2")
                #expect((failed["error"] as? String)?.contains("upstream overloaded") == true, "\(failed)")
                #expect(server.requests.count == 4, "write.1, then write.2 and its two retries")
                let failedTrace = try await client.send(.get, "/v1/traces/\(try #require(failed["trace_id"] as? Int))", token: token).object
                #expect((failedTrace["spans"] as? [[String: Any]])?.last?["status"] as? String == "error")

                healthy.store(true, ordering: .releasing)
                #expect(try await client.send(.post, "/v1/generations/\(id)/retry", token: token).status == .accepted)
                let resumed = try await Self.finished(id, client: client, token: token)
                #expect(resumed["status"] as? String == "succeeded", "\(resumed)")
                #expect(server.requests.count == 5, "only write.2 is written again")
                var attempts: [String: Int] = [:]
                for step in resumed["steps"] as? [[String: Any]] ?? [] {
                    attempts[step["key"] as? String ?? ""] = (step["span"] as? [String: Any])?["attempt"] as? Int
                }
                #expect(attempts == ["research": 1, "strategy": 1, "write.1": 1, "review.1": 1, "write.2": 2, "review.2": 2, "schedule": 2])
            }
        }
    }

    @Test("review: other creators' handles are removed, repetition is rewritten once then flagged, a cut draft is never ranked as finished")
    func review() async throws {
        let server = try LocalHTTPServer { request, number in
            switch number {
            case 1:
                let handle = Self.firstExample(in: request)?.handle ?? "nobody"
                return .chatCompletion("Loved the tip from @\(handle) about pacing. Start slow and build up. What is your long run pace?")
            case 2, 3: return .chatCompletion(String(repeating: "Recovery weeks are the secret to faster marathons. ", count: 40))
            default: return .chatCompletion("Recovery weeks matter more than mileage. And the reason is that the body", finishReason: "length")
            }
        }
        defer { server.stop() }
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication(try Self.configuration(fixture, server: server)) { client in
                let response = try await client.send(
                    .post, "/v1/generate/content", token: try await fixture.token(fixture.firstUser),
                    json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "recovery weeks", "variants": 3}"#)
                let done = try #require(serverSentEvents(response.text).last)
                #expect(done.name == "done", "\(response.text.suffix(400))")
                let variants = try #require(done.data["variants"] as? [[String: Any]])
                let byNumber = Dictionary(uniqueKeysWithValues: variants.map { ($0["variant"] as? Int ?? 0, $0) })

                let first = try #require(byNumber[1])
                #expect(first["rank"] as? Int == 1 && first["verdict"] as? String == "ready")
                #expect((first["text"] as? String)?.contains("@") == false, "\(first["text"] ?? "")")
                #expect((first["notes"] as? [String])?.contains { $0.hasPrefix("removed mentions of other creators") } == true)

                let repeated = try #require(byNumber[2])
                #expect(repeated["verdict"] as? String == "flagged")
                #expect(repeated["rewritten"] as? Bool == true)
                #expect((repeated["flags"] as? [String])?.contains { $0.hasPrefix("degenerate repetition") } == true)
                #expect(server.requests[2].chatMessages.last?.content.hasPrefix("Rewrite the post above") == true, "the rewrite says what to fix")

                let cut = try #require(byNumber[3])
                #expect(cut["verdict"] as? String == "flagged" && cut["truncated"] as? Bool == true)
                #expect((cut["text"] as? String) == "Recovery weeks matter more than mileage.")
                #expect((first["rank"] as? Int ?? 9) < (cut["rank"] as? Int ?? 0), "an unfinished post ranks below a finished one")
                #expect(server.requests.count == 4)
            }
        }
    }

    @Test("a variant that repeats an earlier one is rewritten once, then flagged; five offline angles all differ")
    func repeatedVariant() async throws {
        let server = try LocalHTTPServer { _, _ in
            .chatCompletion("Recovery weeks are where the mileage turns into fitness. I cut volume by a third and keep one short tempo.")
        }
        defer { server.stop() }
        try await ServiceFixture.with { fixture in
            let body = #"{"user_id": \#(fixture.firstUser), "platform": "instagram", "brief": "recovery weeks", "variants": 2}"#
            try await fixture.withApplication(try Self.configuration(fixture, server: server)) { client in
                let response = try await client.send(.post, "/v1/generate/content", token: try await fixture.token(fixture.firstUser), json: body)
                let variants = try #require(serverSentEvents(response.text).last?.data["variants"] as? [[String: Any]])
                let second = try #require(variants.first { $0["variant"] as? Int == 2 })
                #expect(second["verdict"] as? String == "flagged" && second["rewritten"] as? Bool == true)
                #expect((second["flags"] as? [String])?.contains { $0.hasPrefix("repeats variant 1") } == true, "\(second)")
                #expect(server.requests.count == 3, "two drafts and one rewrite")
            }
            try await fixture.withApplication { client in
                let five = body.replacingOccurrences(of: #""variants": 2"#, with: #""variants": 5"#)
                let response = try await client.send(.post, "/v1/generate/content", token: try await fixture.token(fixture.firstUser), json: five)
                let variants = try #require(serverSentEvents(response.text).last?.data["variants"] as? [[String: Any]])
                #expect(variants.count == 5)
                #expect(variants.allSatisfy { $0["verdict"] as? String == "ready" && $0["rewritten"] as? Bool == false }, "\(variants)")
            }
        }
    }

    @Test("the originality guard: a draft that copies an exemplar is rewritten once")
    func copiedDraftIsRewritten() async throws {
        let server = try LocalHTTPServer { request, number in
            number == 1
                ? .chatCompletion(Self.firstExample(in: request)?.text ?? "")
                : .chatCompletion("My own take: recovery weeks are where the mileage turns into fitness. How do you plan yours?")
        }
        defer { server.stop() }
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication(try Self.configuration(fixture, server: server)) { client in
                let response = try await client.send(
                    .post, "/v1/generate/content", token: try await fixture.token(fixture.firstUser),
                    json: #"{"user_id": \#(fixture.firstUser), "platform": "instagram", "brief": "recovery weeks"}"#)
                let done = try #require(serverSentEvents(response.text).last)
                let variant = try #require((done.data["variants"] as? [[String: Any]])?.first)
                #expect(variant["rewritten"] as? Bool == true)
                #expect(variant["verdict"] as? String == "ready")
                let note = (variant["notes"] as? [String])?.first ?? ""
                #expect(note.hasPrefix("rewritten once:") && (note.contains("shares a run of") || note.contains("too close to post")), "\(note)")
                #expect((variant["text"] as? String)?.hasPrefix("My own take") == true)
                #expect(server.requests.count == 2)
            }
        }
    }

    @Test("a step that throws: research (unknown creator), strategy (nothing to write about), write (provider), review (its rewrite)")
    func stepsThatThrow() async throws {
        let server = try LocalHTTPServer { _, number in
            number == 1
                ? .chatCompletion(String(repeating: "Same sentence again and again. ", count: 30))
                : .init(status: 500, body: Data(#"{"error": {"message": "gone"}}"#.utf8))
        }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await fixture.withApplication(try Self.configuration(fixture, server: server)) { client in
                let admin = try await fixture.token(fixture.firstUser, admin: true)
                let unknown = try await client.send(.post, "/v1/generate/content", token: admin, json: #"{"user_id": 777777, "platform": "x", "brief": "a"}"#)
                #expect(unknown.status == .notFound)
                let token = try await fixture.token(fixture.firstUser)
                let nothing = try await client.send(.post, "/v1/generate/content", token: token, json: #"{"user_id": \#(fixture.firstUser), "platform": "x"}"#)
                #expect(nothing.status == .badRequest)
                #expect(nothing.text.contains("nothing to write about"), "\(nothing.text)")
                let review = try await client.send(
                    .post, "/v1/generate/content", token: token, json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "a brief"}"#)
                let error = try #require(serverSentEvents(review.text).last)
                #expect(error.name == "error")
                #expect(error.data["step"] as? String == "review.1", "\(error.data) \(review.text.prefix(3000))")
                #expect(server.requests.count == 4, "the draft, then its rewrite and the rewrite's two retries")
            }
        }
    }

    @Test("bad input is a 400 naming the field: variants, platform, time zone; another creator's generation is 403")
    func badInput() async throws {
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await fixture.withApplication { client in
                let token = try await fixture.token(fixture.firstUser)
                let user = fixture.firstUser
                for (body, message) in [
                    (#"{"user_id": \#(user), "platform": "x", "variants": 0}"#, "variants must be in 1...5"),
                    (#"{"user_id": \#(user), "platform": "x", "variants": 6}"#, "variants must be in 1...5"),
                    (#"{"user_id": \#(user), "platform": "linkedin"}"#, "the strategy serves x, instagram, tiktok, youtube"),
                    (#"{"user_id": \#(user), "platform": "x", "time_zone": "Mars/Olympus"}"#, "time_zone must be an IANA time zone"),
                    (#"{"user_id": \#(user), "platform": "x", "brief": "\#(String(repeating: "a", count: 2_001))"}"#, "at most 2000 characters"),
                ] {
                    for route in ["/v1/generate/content", "/v1/generations"] {
                        let response = try await client.send(.post, route, token: token, json: body)
                        #expect(response.status == .badRequest, "\(route) \(body.prefix(80))")
                        #expect(response.text.contains(message), "\(response.text)")
                    }
                }
                let other = #"{"user_id": \#(fixture.secondUser), "platform": "x", "brief": "a"}"#
                #expect(try await client.send(.post, "/v1/generations", token: token, json: other).status == .forbidden)
                #expect(try await client.send(.post, "/v1/generate/content", token: token, json: other).status == .forbidden)
            }
        }
    }

    @Test("the database lost between steps: the job stops, is claimed again once its heartbeat is stale, and resumes after its stored steps")
    func databaseLostBetweenSteps() async throws {
        let (first, second) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let server = try LocalHTTPServer { _, number in
            // The first draft is answered once the store refuses steps; the second once it takes them again.
            (number == 1 ? first : second).wait()
            return .chatCompletion("Tempo runs taught me patience, draft \(number). Start slower than you think.")
        }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            let configuration = try fixture.configuration {
                $0.writer = GenerationTests.localProvider(server)
                $0.generations.runner = .init(staleAfter: 1, heartbeatInterval: .milliseconds(200), pollInterval: .milliseconds(200))
            }
            let schema = fixture.store.configuration.schema
            // The store refusing every step write stands for a database lost between steps (a lost
            // connection, a failover): the write throws, as it would then.
            @Sendable func refuseSteps(_ refuse: Bool) async throws {
                try await fixture.store.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.execute(
                        refuse
                            ? "ALTER TABLE \"\(schema)\".generation_steps ADD CONSTRAINT lost CHECK (false) NOT VALID"
                            : "ALTER TABLE \"\(schema)\".generation_steps DROP CONSTRAINT lost")
                }
            }
            @Sendable func attempts(_ id: Int) async throws -> Int64 {
                try await fixture.store.pool.withConnection { connection throws(ProfileStoreError) in
                    try connection.query("SELECT attempts FROM \"\(schema)\".generations WHERE id = $1", [.int64(Int64(id))]).int64(0, 0)
                }
            }
            try await fixture.withApplication(configuration) { client in
                let token = try await fixture.token(fixture.firstUser)
                let submitted = try await client.send(
                    .post, "/v1/generations", token: token, json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "tempo runs"}"#)
                let id = try #require(submitted.object["id"] as? Int)
                for _ in 0..<6_000 where server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
                try #require(server.requests.count == 1, "the first draft was asked for")
                try await refuseSteps(true)
                first.signal()
                // The draft cannot be stored: the run stops, its heartbeat with it, and a second claim follows.
                var waited = 0
                while try await attempts(id) < 2, waited < 6_000 {
                    try await Task.sleep(for: .milliseconds(10))
                    waited += 1
                }
                try await refuseSteps(false)
                second.signal()
                let done = try await Self.finished(id, client: client, token: token)
                #expect(done["status"] as? String == "succeeded", "\(done)")
                #expect(done["attempts"] as? Int == 2)
                var steps: [String: Int] = [:]
                for step in done["steps"] as? [[String: Any]] ?? [] {
                    steps[step["key"] as? String ?? ""] = (step["span"] as? [String: Any])?["attempt"] as? Int
                }
                #expect(steps == ["research": 1, "strategy": 1, "write.1": 2, "review.1": 2, "schedule": 2])
                #expect(server.requests.count == 2, "the draft whose storing failed is written again, nothing else")
            }
        }
    }
}

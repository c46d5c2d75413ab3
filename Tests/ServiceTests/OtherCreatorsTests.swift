import Foundation
import Hummingbird
import HummingbirdTesting
import ProfileStore
import Testing
import _TestSupport

@testable import Service

/// What one creator's data or requests do to the others, on the live application and the real
/// database: each test measures another creator's view, not only the caller's answer.
@Suite("Safe to expose, part 2: no creator degrades the service for the others")
struct OtherCreatorsTests {
    @Test("dates beyond a day ahead or before 2000 are 400; a creator's newest-allowed date never becomes another creator's clock")
    func outlierDates() async throws {
        try await ServiceFixture.with { fixture in
            let outlier = fixture.creators[7].user.id, other = fixture.firstUser
            try await fixture.withApplication { client in
                let token = try await fixture.token(outlier)
                for date in ["9999-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z"] {
                    let answer = try await client.send(
                        .post, "/v1/users/\(outlier)/posts", token: token,
                        json: """
                            {"posts": [{"id": 990100, "text": "from another time", "platform": "x", "published_at": "\(date)"}]}
                            """)
                    #expect(answer.status == .badRequest, "\(date): \(answer.text)")
                }
                let otherToken = try await fixture.token(other)
                let before = try await client.send(.get, "/v1/users/\(other)/context?k=39&exemplars=20", token: otherToken).object
                // The latest date anyone may use: now. Then a rebuild, which sets every cohort's clock.
                let now = ISO8601DateFormatter().string(from: Date())
                let accepted = try await client.send(
                    .post, "/v1/users/\(outlier)/posts", token: token,
                    json: """
                        {"posts": [{"id": 990101, "text": "posted right now #recovery", "hashtags": ["recovery"], "platform": "x", "published_at": "\(now)", "views": 10, "likes": 9}]}
                        """)
                #expect(accepted.status == .created)
                let admin = try await fixture.token(other, admin: true)
                let job = try await client.send(.post, "/v1/cohorts/rebuild", token: admin, json: #"{"k": 4}"#)
                let id = try #require(job.object["id"] as? Int, "\(job.text)")
                var status = ""
                for _ in 0..<300 where status != "succeeded" && status != "failed" {
                    try await Task.sleep(for: .milliseconds(100))
                    status = try await client.send(.get, "/v1/jobs/\(id)", token: admin).object["status"] as? String ?? ""
                }
                #expect(status == "succeeded")
                try await Task.sleep(for: .milliseconds(300))
                let after = try await client.send(.get, "/v1/users/\(other)/context?k=39&exemplars=20", token: otherToken).object
                // The outlier's own date did not become the other creator's clock: posting "now" only pushes the
                // outlier into the skipped newest 1 %, so the clock stays within the other creators' data (the
                // sample ends 2026-11-01), at most one creator's newest day later than before.
                let formatter = ISO8601DateFormatter()
                let beforeClock = try #require((before["asOf"] as? String).flatMap(formatter.date(from:)))
                let afterClock = try #require((after["asOf"] as? String).flatMap(formatter.date(from:)))
                #expect(afterClock <= formatter.date(from: "2026-11-01T00:00:00Z")!)
                #expect(afterClock >= beforeClock && afterClock.timeIntervalSince(beforeClock) <= 86_400)
                // Every exemplar's recency is measured against that clock.
                let exemplars = after["exemplars"] as? [[String: Any]] ?? []
                #expect(!exemplars.isEmpty)
                for exemplar in exemplars {
                    let published = try #require((exemplar["publishedAt"] as? String).flatMap(formatter.date(from:)))
                    let recency = try #require((exemplar["breakdown"] as? [String: Any])?["recency"] as? Double)
                    let expected = pow(0.5, max(0, afterClock.timeIntervalSince(published)) / 86_400 / 14)
                    #expect(abs(recency - expected) < 1e-6, "post \(exemplar["postID"] ?? "?")")
                }
                #expect((after["trendingTopics"] as? [Any]) != nil)
            }
        }
    }

    @Test(
        "handles are unique whatever their case and Unicode form, from letters, digits, _ and .",
        arguments: [
            "NikhilKowalski1", "nikhilkowalski1\u{200B}", "\u{202E}nikhilkowalski1", "<script>alert(1)</script>", "a/b?c#d",
            "ｎｉｋｈｉｌｋｏｗａｌｓｋｉ１", "with space", String(repeating: "a", count: 31),
        ])
    func handles(candidate: String) async throws {
        try await ServiceFixture.with(creators: 12, cohorts: nil) { fixture in
            let owner = fixture.firstUser, thief = fixture.secondUser
            try await fixture.withApplication { client in
                let mine = try await client.send(
                    .put, "/v1/users/\(owner)/profile", token: try await fixture.token(owner),
                    json: #"{"handle": "nikhilkowalski1", "name": "Nikhil"}"#)
                #expect(mine.status == .ok || mine.status == .created)
                let body = try String(decoding: JSONSerialization.data(withJSONObject: ["handle": candidate, "name": "Thief"]), as: UTF8.self)
                let taken = try await client.send(.put, "/v1/users/\(thief)/profile", token: try await fixture.token(thief), json: body)
                #expect(taken.status == .badRequest, "\(candidate.unicodeScalars.map { String($0.value, radix: 16) }): \(taken.text)")
            }
            let stored = try #require(try await fixture.store.profile(userID: thief, postLimit: 0))
            #expect(stored.user.handle == fixture.creators[1].user.handle, "the thief's profile is unchanged")
        }
    }

    @Test("a non-ASCII handle in NFKC form is welcome; its upper case is taken")
    func unicodeHandles() async throws {
        try await ServiceFixture.with(creators: 12, cohorts: nil) { fixture in
            try await fixture.withApplication { client in
                let first = try await client.send(
                    .put, "/v1/users/\(fixture.firstUser)/profile", token: try await fixture.token(fixture.firstUser),
                    json: #"{"handle": "lena.müller_7", "name": "Lena"}"#)
                #expect(first.status == .ok)
                let second = try await client.send(
                    .put, "/v1/users/\(fixture.secondUser)/profile", token: try await fixture.token(fixture.secondUser),
                    json: #"{"handle": "LENA.MÜLLER_7", "name": "Lena"}"#)
                #expect(second.status == .badRequest && second.text.contains("already belongs"))
            }
        }
    }

    @Test("one rebuild at a time: a second request is 409 naming the active job; k is bounded; queued jobs can be cancelled; jobs page")
    func rebuildQueue() async throws {
        try await ServiceFixture.with { fixture in
            // No job runner: the first rebuild stays queued.
            let configuration = try fixture.configuration { $0.runsJobs = false }
            try await fixture.withApplication(configuration) { client in
                let admin = try await fixture.token(fixture.firstUser, admin: true)
                for bad in [#"{"k": 5000}"#, #"{"k": "+5"}"#, #"{"k": "5"}"#, #"{"k": 1}"#, #"{"k": 5}"#] {
                    // 40 creators: at most 4 cohorts of ten.
                    #expect(try await client.send(.post, "/v1/cohorts/rebuild", token: admin, json: bad).status == .badRequest, "\(bad)")
                }
                let first = try await client.send(.post, "/v1/cohorts/rebuild", token: admin, json: #"{"k": 4}"#)
                #expect(first.status == .accepted)
                let id = try #require(first.object["id"] as? Int)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<20 { group.addTask { try await client.send(.post, "/v1/cohorts/rebuild", token: admin, json: #"{"k": "auto"}"#).status } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == .conflict })
                let again = try await client.send(.post, "/v1/cohorts/rebuild", token: admin)
                #expect(again.status == .conflict && again.headers[.location] == "/v1/jobs/\(id)")
                let page = try await client.send(.get, "/v1/jobs?limit=1", token: admin)
                #expect((page.object["jobs"] as? [Any])?.count == 1)
                #expect((try await fixture.store.jobs(limit: 100)).filter { $0.kind == "cohorts.rebuild" }.count == 1)
                // Cancelled, it frees the queue; cancelling it again is a conflict.
                let cancelled = try await client.send(.post, "/v1/jobs/\(id)/cancel", token: admin)
                #expect(cancelled.status == .ok && cancelled.object["status"] as? String == "cancelled")
                #expect(try await client.send(.post, "/v1/jobs/\(id)/cancel", token: admin).status == .conflict)
                #expect(try await client.send(.post, "/v1/jobs/999999/cancel", token: admin).status == .notFound)
                #expect(try await client.send(.post, "/v1/jobs/\(id)/cancel", token: try await fixture.token(fixture.firstUser)).status == .forbidden)
                let next = try await client.send(.post, "/v1/cohorts/rebuild", token: admin, json: #"{"k": 3}"#)
                #expect(next.status == .accepted)
                let paged = try await client.send(.get, "/v1/jobs?limit=1", token: admin)
                let link = try #require(paged.object["next"] as? String)
                let second = try await client.send(.get, link, token: admin)
                #expect(((second.object["jobs"] as? [[String: Any]])?.first?["id"] as? Int) == id)
            }
        }
    }

    @Test("a generation whose client leaves before the stream starts still ends in one trace and one count")
    func abandonedGenerations() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withServer({
                $0.generationLimit = .init(count: 50, window: .seconds(600))
            }) { port, _ in
                let token = try await fixture.token(fixture.firstUser)
                for _ in 0..<10 {
                    let connection = try RawHTTPConnection(port: port)
                    connection.post("/v1/generate/content", json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "b"}"#, token: token)
                    connection.disconnect()
                }
                // Every admitted generation is traced, however early its client left.
                var traces: [GenerationTrace] = []
                var admitted = 0
                for _ in 0..<100 {
                    try await Task.sleep(for: .milliseconds(100))
                    traces = try await fixture.store.generationTraces(limit: 100)
                    admitted = try await fixture.store.pool.withConnection { connection throws(ProfileStoreError) in
                        Int(try connection.query("SELECT count(*) FROM \"\(fixture.store.configuration.schema)\".generation_admissions").int64(0, 0))
                    }
                    if traces.count == admitted { break }
                }
                #expect(traces.count == admitted, "\(admitted) admitted, \(traces.count) traced")
            }
        }
    }

    @Test("connections that stall mid-header or mid-body are closed, and others are answered meanwhile")
    func stalledConnections() async throws {
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await fixture.withServer({
                $0.idleTimeout = .seconds(1)
                $0.maximumConnections = 24
            }) { port, _ in
                var stalled: [RawHTTPConnection] = []
                for index in 0..<40 {
                    let connection = try RawHTTPConnection(port: port)
                    connection.send(
                        raw: index.isMultiple(of: 2)
                            ? "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            : "POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"k\": ")
                    stalled.append(connection)
                }
                // Another caller is answered: the stalled connections time out and free their places.
                let probe = try RawHTTPConnection(port: port)
                probe.send(raw: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                #expect(await probe.read(until: "\"ok\"", timeout: 15), "\(probe.text)")
                for connection in stalled { #expect(await connection.closedByPeer(timeout: 10)) }
            }
        }
    }

    @Test("a client that leaves mid-body is counted as its doing (499), not as a failure of the service (500)")
    func clientsLeavingMidBody() async throws {
        try await ServiceFixture.with(cohorts: nil) { fixture in
            let logs = CapturingLogHandler()
            try await fixture.withServer({
                $0.logger = logs.logger
            }) { port, _ in
                let token = try await fixture.token(fixture.firstUser)
                for _ in 0..<5 {
                    let connection = try RawHTTPConnection(port: port)
                    connection.send(
                        raw: "POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user_id\": 1, ")
                    try await Task.sleep(for: .milliseconds(100))
                    connection.disconnect()
                }
                try await Task.sleep(for: .milliseconds(500))
                let metrics = try RawHTTPConnection(port: port)
                metrics.send(raw: "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                _ = await metrics.read(until: "\r\n0\r\n\r\n", timeout: 10)
                let lines = metrics.text.split(separator: "\n").filter { $0.hasPrefix("onering_http_requests_total{") && $0.contains("/v1/search") }
                #expect(lines.contains { $0.contains("status=\"499\"") }, "\(lines)")
                #expect(!lines.contains { $0.contains("status=\"500\"") }, "\(lines)")
                #expect(!logs.messages.contains { $0.hasPrefix("error") || $0.hasPrefix("critical") }, "\(logs.messages.filter { $0.hasPrefix("error") })")
            }
        }
    }
}

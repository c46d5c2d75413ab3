import Foundation
import Hummingbird
import HummingbirdTesting
import ProfileStore
import Service
import Testing

@Suite("Service routes, on the real application and database")
struct ServiceRoutesTests {
    @Test("health, readiness, metrics and the OpenAPI document are open; unknown routes get a JSON 404")
    func operations() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                #expect(try await client.send(.get, "/healthz").object["status"] as? String == "ok")
                let ready = try await client.send(.get, "/readyz")
                #expect(ready.status == .ok)
                #expect(ready.object["creators"] as? Int == fixture.creators.count)
                _ = try await client.send(.get, "/v1/cohorts", token: try await fixture.token(fixture.firstUser))
                let metrics = try await client.send(.get, "/metrics")
                #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(metrics.text.contains("onering_index_creators \(Double(fixture.creators.count))"))
                #expect(metrics.text.contains(#"onering_http_requests_total{method="GET",route="/v1/cohorts",status="200"} 1"#))
                #expect(metrics.text.contains("onering_http_request_duration_seconds_bucket"))
                #expect(metrics.text.contains("onering_change_feed_lag_seconds"))
                let document = try await client.send(.get, "/openapi.json").object
                #expect(document["openapi"] as? String == "3.1.0")
                let missing = try await client.send(.get, "/v2/nothing")
                #expect(missing.status == .notFound)
                #expect(missing.errorCode == "notFound")
            }
        }
    }

    @Test("a profile is created, then updated; posts are written; the context and the embedding follow")
    func profilesAndPosts() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let newUser: Int64 = 9_001
                let token = try await fixture.token(newUser)
                let created = try await client.send(
                    .put, "/v1/users/\(newUser)/profile", token: token,
                    json: #"{"handle": "new_runner", "name": "New Runner", "bio": "Marathon training, recovery weeks"}"#)
                #expect(created.status == .created)
                let same = try await client.send(
                    .put, "/v1/users/\(newUser)/profile", token: token,
                    json: #"{"handle": "new_runner", "name": "New Runner", "bio": "Marathon training, recovery weeks"}"#)
                #expect(same.status == .ok)
                #expect(same.object["unchanged"] as? Int == 1)
                let posts = try await client.send(
                    .post, "/v1/users/\(newUser)/posts", token: token,
                    json: """
                        {"posts": [{"id": 900100, "text": "Long run today, easy pace #marathon", "hashtags": ["marathon"], "platform": "x",
                                    "published_at": "2026-10-30T08:00:00Z", "views": 100, "likes": 7}]}
                        """)
                #expect(posts.status == .created)
                #expect(posts.object["inserted"] as? Int == 1)
                let refresh = try await client.send(.post, "/v1/users/\(newUser)/embedding/refresh", token: token)
                #expect(refresh.status == .ok)
                #expect(refresh.object["embedded"] as? Bool == true)
                let again = try await client.send(.post, "/v1/users/\(newUser)/embedding/refresh", token: token)
                #expect(again.object["embedded"] as? Bool == false)
                let context = try await client.send(.get, "/v1/users/\(newUser)/context?k=5&budget=32000", token: token)
                #expect(context.status == .ok)
                #expect((context.object["creator"] as? [String: Any])?["handle"] as? String == "new_runner")
                #expect((context.object["similarCreators"] as? [Any])?.count == 5)

                // The same context again comes from the engine's cache; a profile written through the
                // service shows in the very next one (no wait for the change feed), a post too.
                let bio = "Trail ultras now, and the long recovery weeks"
                let renamed = try await client.send(
                    .put, "/v1/users/\(newUser)/profile", token: token, json: #"{"handle": "new_runner", "name": "New Runner", "bio": "\#(bio)"}"#)
                #expect(renamed.status == .ok)
                let afterProfile = try await client.send(.get, "/v1/users/\(newUser)/context?k=5&budget=32000", token: token)
                #expect((afterProfile.object["creator"] as? [String: Any])?["bio"] as? String == bio)
                let before = (afterProfile.object["style"] as? [String: Any])?["posts"] as? Int
                let another = try await client.send(
                    .post, "/v1/users/\(newUser)/posts", token: token,
                    json: """
                        {"posts": [{"id": 900101, "text": "Hill repeats, then a slow ten", "platform": "x", "published_at": "2026-10-31T08:00:00Z"}]}
                        """)
                #expect(another.status == .created)
                let afterPost = try await client.send(.get, "/v1/users/\(newUser)/context?k=5&budget=32000", token: token)
                #expect((afterPost.object["style"] as? [String: Any])?["posts"] as? Int == before.map { $0 + 1 })
            }
        }
    }

    @Test("search by creator, text and vector; exact equals the engine's exact order; partitioned and cohort-filtered")
    func search() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let token = try await fixture.token(fixture.firstUser)
                let byUser = try await client.send(.post, "/v1/search", token: token, json: #"{"user_id": \#(fixture.firstUser), "k": 5}"#)
                #expect(byUser.status == .ok)
                let results = try #require(byUser.object["results"] as? [[String: Any]])
                #expect(results.count == 5)
                #expect(!results.contains { $0["id"] as? Int64 == fixture.firstUser })
                let scores = results.compactMap { $0["score"] as? Double }
                #expect(scores == scores.sorted(by: >))

                // The creator's own vector finds the creator first.
                let vector = try await fixture.store.embeddings().vectors.row(0).map { String($0) }.joined(separator: ",")
                let firstID = try await fixture.store.embeddings().userIDs[0]
                let byVector = try await client.send(.post, "/v1/search", token: token, json: #"{"vector": [\#(vector)], "k": 3}"#)
                #expect(((byVector.object["results"] as? [[String: Any]])?.first?["id"] as? NSNumber)?.int64Value == firstID)

                let byText = try await client.send(
                    .post, "/v1/search", token: token, json: #"{"text": "marathon training and recovery", "k": 4, "mode": "partitioned", "nprobe": 2}"#)
                #expect(byText.status == .ok)
                #expect(byText.object["mode"] as? String == "partitioned")
                #expect((byText.object["results"] as? [Any])?.count == 4)

                let inCohort = try await client.send(.post, "/v1/search", token: token, json: #"{"text": "budgeting", "k": 3, "cohort": 1}"#)
                #expect(inCohort.status == .ok)
                let noCohort = try await client.send(.post, "/v1/search", token: token, json: #"{"text": "budgeting", "k": 3, "cohort": 99}"#)
                #expect(noCohort.status == .notFound)
                #expect(noCohort.errorCode == "unknownCohort")
            }
        }
    }

    @Test("cohorts, one cohort, a rebuild queued as a job that runs, traces")
    func cohortsAndJobs() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let token = try await fixture.token(fixture.firstUser)
                let admin = try await fixture.token(fixture.firstUser, admin: true)
                let list = try await client.send(.get, "/v1/cohorts", token: token)
                #expect((list.object["cohorts"] as? [Any])?.count == 4)
                let runID = list.object["runID"] as? Int
                let one = try await client.send(.get, "/v1/cohorts/2", token: token)
                #expect((one.object["cohort"] as? [String: Any])?["traits"] != nil)
                #expect(try await client.send(.get, "/v1/cohorts/17", token: token).status == .notFound)

                let queued = try await client.send(.post, "/v1/cohorts/rebuild", token: admin, json: #"{"k": 3, "seed": 7}"#)
                #expect(queued.status == .accepted)
                let location = try #require(queued.headers[.location])
                var status = ""
                for _ in 0..<300 where status != "succeeded" && status != "failed" {
                    try await Task.sleep(for: .milliseconds(100))
                    status = try await client.send(.get, location, token: admin).object["status"] as? String ?? ""
                }
                #expect(status == "succeeded")
                // The engine follows the new run.
                var cohorts = 0
                for _ in 0..<100 where cohorts != 3 {
                    try await Task.sleep(for: .milliseconds(50))
                    cohorts = (try await client.send(.get, "/v1/cohorts", token: token).object["cohorts"] as? [Any])?.count ?? 0
                }
                #expect(cohorts == 3)
                #expect(try await client.send(.get, "/v1/cohorts", token: token).object["runID"] as? Int != runID)
                #expect((try await client.send(.get, "/v1/jobs", token: admin).object["jobs"] as? [Any])?.count == 1)
                let metrics = try await client.send(.get, "/metrics").text
                #expect(metrics.contains(#"onering_jobs{status="succeeded"} 1.0"#))
                #expect(metrics.contains(#"onering_jobs{status="queued"} 0.0"#))
                #expect(try await client.send(.get, "/v1/jobs/999", token: admin).errorCode == "unknownJob")
                #expect(try await client.send(.get, "/v1/traces", token: admin).status == .ok)
            }
        }
    }

    @Test("bad input gets the right 4xx and a JSON error, and writes nothing")
    func badInput() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { try await fixture.checkBadInput($0) }
        }
    }

    @Test("the dashboard shows cohorts, the map, traces and jobs to an administrator")
    func dashboard() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let admin = try await fixture.token(fixture.firstUser, admin: true)
                _ = try await client.send(
                    .post, "/v1/generate/content", token: admin, json: #"{"user_id": \#(fixture.firstUser), "platform": "x", "brief": "recovery"}"#)
                try await Task.sleep(for: .milliseconds(300))
                // No token in the URL: a form takes it once, then an HttpOnly, SameSite=Strict cookie.
                let form = try await client.send(.get, "/dashboard?token=\(admin)")
                #expect(form.status == .ok && form.text.contains("action=\"/dashboard/session\"") && !form.text.contains("<svg"))
                let signIn = try await client.execute(
                    uri: "/dashboard/session", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "token=\(admin)"))
                #expect(signIn.status == .seeOther)
                let cookie = try #require(signIn.headers[.setCookie])
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/dashboard") && !cookie.contains(admin))
                let session = String(cookie.split(separator: ";")[0])
                let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: session], body: nil)
                #expect(page.status == .ok)
                #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(page.text.contains("<svg"))
                #expect(page.text.contains("creators in the index"))
                #expect(page.text.contains("succeeded"))
                #expect(!page.text.contains(admin))
                // The cookie opens nothing but the dashboard.
                #expect(try await client.execute(uri: "/v1/jobs", method: .get, headers: [.cookie: session], body: nil).status == .unauthorized)
                // A creator's token does not sign in; a made-up session id shows the form.
                let creator = try await client.execute(
                    uri: "/dashboard/session", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "token=\(try await fixture.token(fixture.firstUser))"))
                #expect(creator.status == .forbidden && creator.headers[.setCookie] == nil)
                let forged = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: "onering_dashboard=forged"], body: nil)
                #expect(forged.text.contains("action=\"/dashboard/session\"") && !forged.text.contains("<svg"))
                // Signing out ends the session.
                _ = try await client.execute(uri: "/dashboard/signout", method: .post, headers: [.cookie: session], body: nil)
                #expect(!(try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: session], body: nil)).text.contains("<svg"))
            }
        }
    }
}

extension ServiceFixture {
    /// Every malformed request the routes can get: status, error code, and nothing stored changed.
    func checkBadInput(_ client: any TestClientProtocol) async throws {
        let user = firstUser
        let token = try await token(user)
        let before = try await store.tableCounts()
        let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
            (.put, "/v1/users/\(user)/profile", "{not json", .badRequest, "invalidJSON"),
            (.put, "/v1/users/\(user)/profile", #"{"handle": 5, "name": "x"}"#, .badRequest, "invalidJSON"),
            (.put, "/v1/users/\(user)/profile", #"{"name": "x"}"#, .badRequest, "invalidJSON"),
            (.put, "/v1/users/\(user)/profile", #"{"handle": "has space", "name": "x"}"#, .badRequest, "invalidInput"),
            (.put, "/v1/users/\(user)/profile", #"{"handle": "\#(creators[1].user.handle)", "name": "x"}"#, .badRequest, "invalidInput"),
            (.put, "/v1/users/0/profile", #"{"handle": "a", "name": "b"}"#, .badRequest, "invalidInput"),
            (.put, "/v1/users/abc/profile", #"{"handle": "a", "name": "b"}"#, .badRequest, "invalidInput"),
            (.post, "/v1/users/\(user)/posts", #"{"posts": []}"#, .badRequest, "invalidInput"),
            (
                .post, "/v1/users/\(user)/posts",
                #"{"posts": [{"id": 1, "text": "ok", "platform": "x", "published_at": "2026-01-01T00:00:00Z"}, {"id": 2, "text": "", "platform": "x", "published_at": "2026-01-01T00:00:00Z"}]}"#,
                .badRequest, "invalidInput"
            ),
            (
                .post, "/v1/users/\(user)/posts", #"{"posts": [{"id": 1, "text": "ok", "platform": "x", "published_at": "yesterday"}]}"#, .badRequest,
                "invalidJSON"
            ),
            (
                .post, "/v1/users/\(user)/posts",
                #"{"posts": [{"id": 1, "text": "ok", "platform": "x", "published_at": "2026-01-01T00:00:00Z", "views": -3}]}"#, .badRequest, "invalidInput"
            ),
            (.get, "/v1/users/\(user)/context?k=0", nil, .badRequest, "invalidInput"),
            (.get, "/v1/users/\(user)/context?k=1001", nil, .badRequest, "invalidInput"),
            (.get, "/v1/users/\(user)/context?budget=ten", nil, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"k": 5}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"text": "a", "user_id": \#(user)}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"text": "running", "k": 0}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"text": "running", "k": 1001}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"text": "running", "mode": "fuzzy"}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"text": "running", "nprobe": 2}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"vector": [1, 2, 3]}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"vector": [\#(Array(repeating: "0", count: Self.dimensions).joined(separator: ","))]}"#, .badRequest, "invalidInput"),
            (.post, "/v1/search", #"{"vector": [1e999\#(String(repeating: ",1", count: Self.dimensions - 1))]}"#, .badRequest, "invalidJSON"),
            (.post, "/v1/search", #"{"vector": "1,2"}"#, .badRequest, "invalidJSON"),
            (.post, "/v1/search", #"{"user_id": 777777}"#, .forbidden, "forbidden"),
            (.post, "/v1/generate/content", #"{"user_id": \#(user), "platform": "myspace"}"#, .badRequest, "invalidInput"),
            (.post, "/v1/generate/content", #"{"user_id": \#(user), "platform": "x", "max_tokens": 1}"#, .badRequest, "invalidInput"),
            (.post, "/v1/generate/content", #"{"platform": "x"}"#, .badRequest, "invalidJSON"),
            (.post, "/v1/search", "", .badRequest, "invalidJSON"),
        ]
        for (method, uri, body, status, code) in cases {
            let response = try await client.send(method, uri, token: token, json: body)
            #expect(response.status == status, "\(method) \(uri) \(body ?? ""): \(response.status) \(response.text)")
            #expect(response.errorCode == code, "\(method) \(uri) \(body ?? ""): \(response.text)")
        }
        // An unknown creator (an administrator may ask for anyone).
        let admin = try await self.token(user, admin: true)
        #expect(try await client.send(.get, "/v1/users/777777/context", token: admin).errorCode == "unknownUser")
        #expect(
            try await client.send(
                .post, "/v1/users/777777/posts", token: admin,
                json: #"{"posts": [{"id": 5, "text": "hi", "platform": "x", "published_at": "2026-01-01T00:00:00Z"}]}"#
            ).errorCode == "unknownUser")
        #expect(try await client.send(.post, "/v1/generate/content", token: admin, json: #"{"user_id": 777777, "platform": "x"}"#).errorCode == "unknownUser")
        // An oversized body: 413 before anything is parsed.
        let huge = #"{"posts": [{"id": 1, "text": "\#(String(repeating: "a", count: 1_100_000))", "platform": "x", "published_at": "2026-01-01T00:00:00Z"}]}"#
        let tooLarge = try await client.send(.post, "/v1/users/\(user)/posts", token: token, json: huge)
        #expect(tooLarge.status == .contentTooLarge)
        #expect(tooLarge.errorCode == "bodyTooLarge")
        #expect(try await store.tableCounts() == before)
    }
}

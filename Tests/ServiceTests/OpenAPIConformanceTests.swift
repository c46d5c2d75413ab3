import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The OpenAPI document is true to the service")
struct OpenAPIConformanceTests {
    /// One request of the walk: the documented path template, the concrete request, who sends it.
    struct Call {
        var method: HTTPRequest.Method
        var template: String
        var uri: String
        var token: String?
        var body: String?
    }

    @Test("every documented route answers only documented statuses, with bodies that match their schemas")
    func walk() async throws {
        try await ServiceFixture.with(embedPosts: true) { fixture in
            try await fixture.withApplication { client in
                let document = try #require(
                    try JSONSerialization.jsonObject(with: Data(try await client.send(.get, "/openapi.json").text.utf8)) as? [String: Any])
                let checker = JSONSchemaChecker(document: document)
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                let user = fixture.firstUser
                let creator = try await fixture.token(user), admin = try await fixture.token(user, admin: true)
                let post = #"{"posts": [{"id": 990001, "text": "Tempo run notes #running", "platform": "x", "published_at": "2026-10-01T07:00:00Z"}]}"#
                let calls: [Call] = [
                    Call(method: .get, template: "/healthz", uri: "/healthz"),
                    Call(method: .get, template: "/readyz", uri: "/readyz"),
                    Call(method: .get, template: "/metrics", uri: "/metrics"),
                    Call(method: .get, template: "/openapi.json", uri: "/openapi.json"),
                    Call(method: .get, template: "/dashboard", uri: "/dashboard", token: admin),
                    Call(method: .get, template: "/dashboard", uri: "/dashboard"),
                    Call(
                        method: .put, template: "/v1/users/{id}/profile", uri: "/v1/users/\(user)/profile", token: creator,
                        body: #"{"handle": "renamed_\#(user)", "name": "Renamed"}"#),
                    Call(
                        method: .put, template: "/v1/users/{id}/profile", uri: "/v1/users/9100/profile", token: admin,
                        body: #"{"handle": "brand_new", "name": "New"}"#),
                    Call(method: .put, template: "/v1/users/{id}/profile", uri: "/v1/users/\(user)/profile", token: creator, body: "[]"),
                    Call(method: .post, template: "/v1/users/{id}/posts", uri: "/v1/users/\(user)/posts", token: creator, body: post),
                    Call(method: .post, template: "/v1/users/{id}/posts", uri: "/v1/users/777777/posts", token: admin, body: post),
                    Call(method: .post, template: "/v1/users/{id}/embedding/refresh", uri: "/v1/users/\(user)/embedding/refresh", token: creator),
                    Call(method: .post, template: "/v1/users/{id}/embedding/refresh", uri: "/v1/users/\(fixture.secondUser)/embedding/refresh", token: creator),
                    Call(method: .get, template: "/v1/users/{id}/context", uri: "/v1/users/\(user)/context?k=3&nprobe=2", token: creator),
                    Call(method: .get, template: "/v1/users/{id}/context", uri: "/v1/users/\(user)/context?k=-1", token: creator),
                    Call(method: .get, template: "/v1/users/{id}/context", uri: "/v1/users/777777/context", token: admin),
                    Call(
                        method: .post, template: "/v1/users/{id}/score", uri: "/v1/users/\(user)/score", token: creator,
                        body: #"{"text": "Stop scrolling.\nWhat is your tempo run pace?", "platform": "x"}"#),
                    Call(method: .post, template: "/v1/users/{id}/score", uri: "/v1/users/\(user)/score", token: creator, body: #"{"text": "  "}"#),
                    Call(method: .post, template: "/v1/users/{id}/score", uri: "/v1/users/777777/score", token: admin, body: #"{"text": "hi"}"#),
                    Call(
                        method: .post, template: "/v1/users/{id}/score", uri: "/v1/users/\(fixture.secondUser)/score", token: creator, body: #"{"text": "hi"}"#),
                    Call(method: .post, template: "/v1/search", uri: "/v1/search", token: creator, body: #"{"user_id": \#(user), "k": 3}"#),
                    Call(
                        method: .post, template: "/v1/search", uri: "/v1/search", token: creator,
                        body: #"{"text": "crypto", "mode": "partitioned", "nprobe": 2}"#),
                    Call(method: .post, template: "/v1/search", uri: "/v1/search", token: creator, body: #"{"text": "crypto", "cohort": 40}"#),
                    Call(
                        method: .post, template: "/v1/search/posts", uri: "/v1/search/posts", token: creator,
                        body: #"{"text": "tempo runs", "k": 3, "since": "2020-01-01T00:00:00Z"}"#),
                    Call(method: .post, template: "/v1/search/posts", uri: "/v1/search/posts", token: creator, body: #"{"text": "a", "vector": [1]}"#),
                    Call(method: .post, template: "/v1/search/posts", uri: "/v1/search/posts", token: creator, body: #"{"text": "a", "cohort": 40}"#),
                    Call(
                        method: .get, template: "/v1/users/{id}/context", uri: "/v1/users/\(user)/context?brief=my%20tempo%20runs&exemplars=3",
                        token: creator),
                    Call(method: .post, template: "/v1/search", uri: "/v1/search", body: #"{"text": "crypto"}"#),
                    Call(method: .get, template: "/v1/cohorts", uri: "/v1/cohorts", token: creator),
                    Call(method: .get, template: "/v1/cohorts/{id}", uri: "/v1/cohorts/1", token: creator),
                    Call(method: .get, template: "/v1/cohorts/{id}", uri: "/v1/cohorts/99", token: creator),
                    Call(method: .post, template: "/v1/cohorts/rebuild", uri: "/v1/cohorts/rebuild", token: admin, body: #"{"k": "auto"}"#),
                    Call(method: .post, template: "/v1/cohorts/rebuild", uri: "/v1/cohorts/rebuild", token: creator),
                    Call(method: .get, template: "/v1/jobs", uri: "/v1/jobs", token: admin),
                    Call(method: .get, template: "/v1/jobs/{id}", uri: "/v1/jobs/1", token: admin),
                    Call(method: .get, template: "/v1/jobs/{id}", uri: "/v1/jobs/4242", token: admin),
                    Call(
                        method: .post, template: "/v1/generate/content", uri: "/v1/generate/content", token: creator,
                        body: #"{"user_id": \#(user), "platform": "tiktok", "brief": "tempo runs"}"#),
                    Call(
                        method: .post, template: "/v1/generate/content", uri: "/v1/generate/content", token: creator,
                        body: #"{"user_id": \#(user), "platform": "fax"}"#),
                    Call(method: .get, template: "/v1/traces", uri: "/v1/traces", token: admin),
                    Call(method: .get, template: "/v1/traces/{id}", uri: "/v1/traces/1", token: creator),
                    Call(method: .get, template: "/v1/traces/{id}", uri: "/v1/traces/4242", token: creator),
                    Call(
                        method: .post, template: "/v1/generations", uri: "/v1/generations", token: creator,
                        body: #"{"user_id": \#(user), "platform": "x", "brief": "tempo runs", "variants": 2}"#),
                    Call(
                        method: .post, template: "/v1/generations", uri: "/v1/generations", token: creator,
                        body: #"{"user_id": \#(user), "platform": "x", "variants": 9}"#),
                    Call(
                        method: .post, template: "/v1/generations", uri: "/v1/generations", token: creator,
                        body: #"{"user_id": \#(fixture.secondUser), "platform": "x"}"#),
                    Call(method: .get, template: "/v1/generations/{id}", uri: "/v1/generations/1", token: creator),
                    Call(method: .get, template: "/v1/generations/{id}", uri: "/v1/generations/4242", token: creator),
                    Call(method: .post, template: "/v1/generations/{id}/retry", uri: "/v1/generations/4242/retry", token: creator),
                    Call(method: .post, template: "/v1/generations/{id}/retry", uri: "/v1/generations/1/retry", token: creator),
                    Call(method: .get, template: "/v1/jobs", uri: "/v1/jobs?limit=1&before=2", token: admin),
                    Call(method: .post, template: "/v1/jobs/{id}/cancel", uri: "/v1/jobs/1/cancel", token: admin),
                    Call(method: .post, template: "/v1/jobs/{id}/cancel", uri: "/v1/jobs/4242/cancel", token: admin),
                    Call(method: .post, template: "/v1/users/{id}/posts", uri: "/v1/users/\(fixture.secondUser)/posts", token: admin, body: post),
                    Call(method: .delete, template: "/v1/search", uri: "/v1/search", token: creator),
                    Call(method: .post, template: "/dashboard/session", uri: "/dashboard/session", body: "token=\(admin)"),
                    Call(method: .post, template: "/dashboard/session", uri: "/dashboard/session", body: "token=\(creator)"),
                    Call(method: .post, template: "/dashboard/signout", uri: "/dashboard/signout"),
                ]
                var walked = Set<String>()
                for call in calls {
                    let name = "\(call.method) \(call.uri)"
                    let response = try await client.send(call.method, call.uri, token: call.token, json: call.body)
                    if response.status == .methodNotAllowed {
                        // A method the path does not take: the documented 405 of its operations, with Allow.
                        let allowed = Set((response.headers[.allow] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
                        #expect(allowed == Set((paths[call.template] ?? [:]).keys), "\(name): Allow \(allowed.sorted())")
                        #expect(
                            allowed.allSatisfy { (paths[call.template]?[$0] as? [String: Any]).flatMap { ($0["responses"] as? [String: Any])?["405"] } != nil })
                        continue
                    }
                    let operation = try #require(paths[call.template]?[call.method.rawValue.lowercased()] as? [String: Any], "\(name) is not documented")
                    walked.insert("\(call.method.rawValue.lowercased()) \(call.template)")
                    let documented = try #require(operation["responses"] as? [String: [String: Any]])
                    guard let answer = documented[String(response.status.code)] else {
                        Issue.record("\(name) answered \(response.status.code), not documented (\(documented.keys.sorted()))")
                        continue
                    }
                    let content = answer["content"] as? [String: [String: Any]] ?? [:]
                    // A documented answer without content (a redirect) must come without a body.
                    if answer["content"] == nil {
                        #expect(response.body.readableBytes == 0, "\(name): \(response.status.code) carries a body it does not document")
                        continue
                    }
                    let type = response.headers[.contentType]?.split(separator: ";").first.map(String.init) ?? ""
                    guard let media = content[type] else {
                        Issue.record("\(name): content type \(type) not documented for \(response.status.code)")
                        continue
                    }
                    if type == "application/json", let schema = media["schema"] as? [String: Any] {
                        let value = try JSONSerialization.jsonObject(with: Data(response.text.utf8), options: [.fragmentsAllowed])
                        let problems = checker.problems(value, against: schema)
                        #expect(problems.isEmpty, "\(name) → \(response.status.code): \(problems.prefix(5))")
                    }
                    if type == "text/event-stream" {
                        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]] ?? [:]
                        // The document names each event and the schema of its data (`contentSchema`).
                        var schemaOfEvent: [String: [String: Any]] = [:]
                        for item in (media["schema"] as? [String: Any])?["oneOf"] as? [[String: Any]] ?? [] {
                            let properties = item["properties"] as? [String: [String: Any]] ?? [:]
                            guard let event = properties["event"]?["const"] as? String,
                                let reference = (properties["data"]?["contentSchema"] as? [String: Any])?["$ref"] as? String
                            else { continue }
                            schemaOfEvent[event] = reference.split(separator: "/").last.flatMap { schemas[String($0)] }
                        }
                        #expect(
                            Set(schemaOfEvent.keys) == ["step", "token", "retry", "done", "error"], "\(name): documented events \(schemaOfEvent.keys.sorted())")
                        for event in serverSentEvents(response.text) {
                            let problems = schemaOfEvent[event.name].map { checker.problems(event.data, against: $0) } ?? ["undocumented event \(event.name)"]
                            #expect(problems.isEmpty, "\(name) event \(event.name): \(problems.prefix(5))")
                        }
                    }
                }
                let documentedOperations = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
                #expect(documentedOperations.subtracting(walked).isEmpty, "never walked: \(documentedOperations.subtracting(walked).sorted())")
            }
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Briefs and post search on the live service")
struct PostSearchRoutesTests {
    @Test("a post written through the API is found at once; the context answers a percent-encoded brief; bad input is 400, no token 401")
    func postSearch() async throws {
        try await ServiceFixture.with(creators: 60, cohorts: 3, embedPosts: true) { fixture in
            try await fixture.withApplication { client in
                let user = fixture.firstUser
                let token = try await fixture.token(user)
                let post =
                    #"{"posts": [{"id": 990001, "text": "Kombucha scoby hotel: week two #fermentation", "platform": "x", "#
                    + #""published_at": "2026-10-01T07:00:00Z"}]}"#
                #expect(try await client.send(.post, "/v1/users/\(user)/posts", token: token, json: post).status == .created)
                let found = try await client.send(
                    .post, "/v1/search/posts", token: token, json: #"{"text": "kombucha scoby", "k": 3, "user_id": \#(user)}"#)
                #expect(found.status == .ok, "\(found.text)")
                let results = try #require(found.object["results"] as? [[String: Any]])
                #expect(results.first?["postID"] as? Int == 990001)
                #expect((results.first?["breakdown"] as? [String: Any])?["lexical"] as? Double == 1)

                let context = try await client.send(
                    .get, "/v1/users/\(user)/context?brief=kombucha%20scoby%20%26%20tea&exemplars=3", token: token)
                #expect(context.status == .ok, "\(context.text)")
                #expect((context.object["brief"] as? [String: Any])?["text"] as? String == "kombucha scoby & tea")

                let long = String(repeating: "a", count: 2_001)
                #expect(try await client.send(.get, "/v1/users/\(user)/context?brief=\(long)", token: token).status == .badRequest)
                for (body, why) in [
                    (#"{"text": "a", "k": 101}"#, "k too large"),
                    (#"{"text": "a", "k": 0}"#, "k zero"),
                    (#"{"text": "\#(long)"}"#, "text too long"),
                    (#"{"text": "   "}"#, "blank"),
                    (#"{"vector": [1, 2, 3]}"#, "wrong dimension"),
                    (#"{"text": "a", "vector": [1]}"#, "both"),
                    (#"{}"#, "neither"),
                    (#"{"text": "a", "since": "yesterday"}"#, "not a date"),
                    (#"{"text": "a", "since": "2026-10-02T00:00:00Z", "until": "2026-10-01T00:00:00Z"}"#, "reversed window"),
                    (#"{"text": 7}"#, "not text"),
                    (#"{"text": "a", "nprobe": 0}"#, "nprobe zero"),
                ] {
                    let answer = try await client.send(.post, "/v1/search/posts", token: token, json: body)
                    #expect(answer.status == .badRequest, "\(why): \(answer.status) \(answer.text)")
                }
                #expect(try await client.send(.post, "/v1/search/posts", token: token, json: #"{"text": "a", "cohort": 99}"#).status == .notFound)
                #expect(try await client.send(.post, "/v1/search/posts", json: #"{"text": "a"}"#).status == .unauthorized)
            }
        }
    }
}

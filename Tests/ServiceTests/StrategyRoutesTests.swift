import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Strategy on the live service: recommended hours, what performs, draft scores")
struct StrategyRoutesTests {
    @Test(
        "a draft's score follows the cohort's model: a question on x is scored up by the model's own uplift; bad input is 400, a creator not embedded yet 409")
    func score() async throws {
        try await ServiceFixture.with(creators: 600, cohorts: 3) { fixture in
            try await fixture.withApplication { client in
                let user = fixture.firstUser
                let token = try await fixture.token(user)
                let at = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3 * 86_400))
                func score(_ text: String, platform: String = "x") async throws -> [String: Any] {
                    let body = try String(
                        decoding: JSONSerialization.data(withJSONObject: ["text": text, "platform": platform, "at": at]), as: UTF8.self)
                    let answer = try await client.send(.post, "/v1/users/\(user)/score", token: token, json: body)
                    #expect(answer.status == .ok, "\(answer.text)")
                    return answer.object
                }
                let plain = try await score("Tempo runs changed my marathon training this year.")
                let asked = try await score("Tempo runs changed my marathon training this year. What would you add?")
                #expect((plain["features"] as? [String]) == [])
                #expect((asked["features"] as? [String]) == ["question"])
                let relative = try #require(asked["relativeToBaseline"] as? Double)
                let low = try #require(asked["low"] as? Double), high = try #require(asked["high"] as? Double)
                #expect(low <= relative && relative <= high)
                #expect((asked["parts"] as? [[String: Any]])?.first?["factor"] as? String == "hour")

                // The ratio of the two scores is the question's uplift in the cohort's model, as the cohort reports it.
                let cohortID = try #require(asked["cohort"] as? Int)
                let cohort = try await client.send(.get, "/v1/cohorts/\(cohortID)", token: token).object
                let traits = try #require((cohort["cohort"] as? [String: Any])?["traits"] as? [String: Any])
                let uplifts = try #require((traits["strategy"] as? [String: Any])?["uplifts"] as? [[String: Any]])
                let question = try #require(
                    uplifts.first { $0["factor"] as? String == "question" && $0["platform"] as? String == "x" }
                        ?? uplifts.first { $0["factor"] as? String == "question" && $0["platform"] == nil })
                let ratio = relative / (try #require(plain["relativeToBaseline"] as? Double))
                #expect(abs(ratio - (question["uplift"] as? Double ?? 0)) < 0.01, "ratio \(ratio), uplift \(question)")
                // The sample data plants a positive question effect on x: the model finds it.
                #expect((question["uplift"] as? Double ?? 0) > 1)

                for (body, why) in [
                    (#"{"text": "   "}"#, "blank"),
                    (#"{"text": "\#(String(repeating: "a", count: 10_001))"}"#, "too long"),
                    (#"{"text": "hi", "at": "2099-01-01T00:00:00Z"}"#, "far ahead"),
                    (#"{"text": "hi", "at": "yesterday"}"#, "not a date"),
                    (#"{"text": 7}"#, "not text"),
                ] {
                    let answer = try await client.send(.post, "/v1/users/\(user)/score", token: token, json: body)
                    #expect(answer.status == .badRequest, "\(why): \(answer.status) \(answer.text)")
                }
                let other = try await client.send(.post, "/v1/users/\(fixture.secondUser)/score", token: token, json: #"{"text": "hi"}"#)
                #expect(other.status == .forbidden)
                // A creator who exists but is not embedded has no cohort yet: 409, saying so.
                let admin = try await fixture.token(user, admin: true)
                let created = try await client.send(.put, "/v1/users/9100/profile", token: admin, json: #"{"handle": "newcomer", "name": "New"}"#)
                #expect(created.status == .created)
                let newcomer = try await client.send(.post, "/v1/users/9100/score", token: admin, json: #"{"text": "hi"}"#)
                #expect(newcomer.status == .conflict && newcomer.errorCode == "embeddingMissing", "\(newcomer.text)")
            }
        }
    }

    @Test("the context carries the recommended hours with their intervals and what performs")
    func context() async throws {
        try await ServiceFixture.with(creators: 600, cohorts: 3) { fixture in
            try await fixture.withApplication { client in
                let user = fixture.firstUser
                let context = try await client.send(.get, "/v1/users/\(user)/context", token: try await fixture.token(user)).object
                #expect(context["version"] as? String == "1.2")
                let strategy = try #require(context["strategy"] as? [String: Any])
                let performs = try #require(strategy["whatPerforms"] as? [[String: Any]])
                #expect(!performs.isEmpty && performs.count <= 3)
                #expect(performs.allSatisfy { ($0["low"] as? Double ?? 0) > 1 })
                let times = try #require(context["postingTimes"] as? [[String: Any]])
                #expect(times.allSatisfy { ($0["low"] as? Double ?? 0) > 1 && ($0["uplift"] as? Double ?? 0) >= ($0["low"] as? Double ?? 0) })
            }
        }
    }
}

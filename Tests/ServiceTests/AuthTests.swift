import Foundation
import Hummingbird
import HummingbirdTesting
import Service
import Testing
import _TestSupport

@Suite("Authentication and authorization: session tokens, service keys, the auth matrix")
struct AuthTests {
    @Test("every bad credential is a 401, every missing right a 403, and nothing is written")
    func matrix() async throws {
        try await ServiceFixture.with { fixture in
            try await fixture.withApplication { client in
                let user = fixture.firstUser, other = fixture.secondUser
                let context = "/v1/users/\(user)/context"
                let profile = "/v1/users/\(user)/profile"
                let now = Date().timeIntervalSince1970
                let before = try await fixture.store.tableCounts()

                let unauthenticated: [(String, String?)] = [
                    ("no token", nil),
                    ("not a JWT", "garbage"),
                    ("expired", try await fixture.token(user, overrides: ["exp": .number(now - 3_600)])),
                    ("not valid yet", try await fixture.token(user, overrides: ["nbf": .number(now + 3_600)])),
                    ("no exp", try await fixture.token(user, overrides: ["exp": .other])),
                    ("forged: another key, same kid", try await ServiceFixture.forger.token(userID: user)),
                    ("wrong issuer", try await fixture.token(user, overrides: ["iss": .text("https://evil.example")])),
                    ("wrong azp", try await fixture.token(user, overrides: ["azp": .text("https://evil.example")])),
                    ("no azp", try await fixture.token(user, overrides: ["azp": .other])),
                    ("tampered payload", Self.tamper(try await fixture.token(user))),
                    ("unknown service key", ServiceKey.generate(name: "x", scopes: [.admin]).secret),
                ]
                for (name, token) in unauthenticated {
                    let response = try await client.send(.get, context, token: token)
                    #expect(response.status == .unauthorized, "\(name): \(response.text)")
                    #expect(response.errorCode == "unauthenticated", "\(name)")
                    let write = try await client.send(.put, profile, token: token, json: #"{"handle": "hijacked", "name": "x"}"#)
                    #expect(write.status == .unauthorized, "\(name)")
                }
                let forbidden: [(String, HTTPRequest.Method, String, String, String?)] = [
                    ("another creator's context", .get, "/v1/users/\(other)/context", try await fixture.token(user), nil),
                    ("another creator's profile", .put, "/v1/users/\(other)/profile", try await fixture.token(user), #"{"handle": "hijacked", "name": "x"}"#),
                    (
                        "another creator's posts", .post, "/v1/users/\(other)/posts", try await fixture.token(user),
                        #"{"posts": [{"id": 5, "text": "hi", "platform": "x", "published_at": "2026-01-01T00:00:00Z"}]}"#
                    ),
                    (
                        "a generation for another creator", .post, "/v1/generate/content", try await fixture.token(user),
                        #"{"user_id": \#(other), "platform": "x"}"#
                    ),
                    ("a rebuild without the admin role", .post, "/v1/cohorts/rebuild", try await fixture.token(user), nil),
                    ("jobs without the admin role", .get, "/v1/jobs", try await fixture.token(user), nil),
                    ("a token that maps to no creator", .get, context, try await fixture.token(user, overrides: ["onering_user_id": .other]), nil),
                    ("a read-only key writing", .put, profile, fixture.readerKey.secret, #"{"handle": "hijacked", "name": "x"}"#),
                    ("a read-only key generating", .post, "/v1/generate/content", fixture.readerKey.secret, #"{"user_id": \#(user), "platform": "x"}"#),
                    ("the writer's key rebuilding", .post, "/v1/cohorts/rebuild", fixture.writerKey.secret, nil),
                ]
                for (name, method, uri, token, body) in forbidden {
                    let response = try await client.send(method, uri, token: token, json: body)
                    #expect(response.status == .forbidden, "\(name): \(response.text)")
                    #expect(response.errorCode == "forbidden", "\(name)")
                }
                #expect(try await fixture.store.tableCounts() == before)
                #expect(try await fixture.store.jobs().isEmpty)

                // What is allowed.
                #expect(try await client.send(.get, context, token: try await fixture.token(user)).status == .ok)
                #expect(try await client.send(.get, "/v1/users/\(other)/context", token: try await fixture.token(user, admin: true)).status == .ok)
                #expect(try await client.send(.get, context, token: fixture.readerKey.secret).status == .ok)
                #expect(
                    try await client.send(
                        .post, "/v1/generate/content", token: fixture.writerKey.secret,
                        json: #"{"user_id": \#(other), "platform": "x", "brief": "a test"}"#
                    ).status == .ok)
                #expect(try await client.send(.get, "/v1/cohorts", token: fixture.readerKey.secret).status == .ok)
                // A numeric sub is the user id when the custom claim is absent.
                let numericSub = try await fixture.token(user, overrides: ["onering_user_id": .other, "sub": .text(String(user))])
                #expect(try await client.send(.get, context, token: numericSub).status == .ok)
            }
        }
    }

    @Test("a token signed by a rotated-in key verifies once the key set is read again")
    func keyRotation() async throws {
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await fixture.withApplication { client in
                let rotated = try DevelopmentIssuer.generate(keyID: "rotated-key")
                let token = try await rotated.token(userID: fixture.firstUser)
                #expect(try await client.send(.get, "/v1/users/\(fixture.firstUser)/context", token: token).status == .unauthorized)
                // Both keys in the set, as an issuer publishes during a rotation.
                let old = try JSONSerialization.jsonObject(with: Data(ServiceFixture.issuer.keySetJSON.utf8)) as! [String: [Any]]
                let new = try JSONSerialization.jsonObject(with: Data(rotated.keySetJSON.utf8)) as! [String: [Any]]
                try JSONSerialization.data(withJSONObject: ["keys": old["keys"]! + new["keys"]!]).write(to: URL(fileURLWithPath: fixture.keySetPath))
                #expect(try await client.send(.get, "/v1/users/\(fixture.firstUser)/context", token: token).status == .ok)
                #expect(try await client.send(.get, "/v1/users/\(fixture.firstUser)/context", token: try await fixture.token(fixture.firstUser)).status == .ok)
            }
        }
    }

    @Test("a verified token is remembered until its exp only, and forgotten once a key set without its key is read")
    func verifiedTokenMemory() async throws {
        try await ServiceFixture.with(cohorts: nil) { fixture in
            try await fixture.withApplication { client in
                let context = "/v1/users/\(fixture.firstUser)/context"
                // Valid for 45 more seconds with the 5 s leeway (room for a machine running every
                // suite at once, where 15 s once ran out before the first request): verified, then
                // remembered, then expired.
                let until = Date().timeIntervalSince1970 + 45
                let short = try await fixture.token(fixture.firstUser, overrides: ["exp": .number(until - 5)])
                for _ in 0..<2 {
                    let response = try await client.send(.get, context, token: short)
                    #expect(response.status == .ok, "\(response.text)")
                }
                try await Task.sleep(for: .seconds(max(0, until + 0.5 - Date().timeIntervalSince1970)))
                let expired = try await client.send(.get, context, token: short)
                #expect(expired.status == .unauthorized && expired.text.contains("expired"), "\(expired.text)")

                // The issuer's key leaves the set: a token it signed, verified a moment ago, stops.
                let token = try await fixture.token(fixture.firstUser)
                #expect(try await client.send(.get, context, token: token).status == .ok)
                let rotated = try DevelopmentIssuer.generate(keyID: "only-key")
                try Data(rotated.keySetJSON.utf8).write(to: URL(fileURLWithPath: fixture.keySetPath))
                #expect(try await client.send(.get, context, token: try await rotated.token(userID: fixture.firstUser)).status == .ok)
                #expect(try await client.send(.get, context, token: token).status == .unauthorized)
            }
        }
    }

    @Test("the key set can come from a URL (as Clerk publishes it); an unreachable one fails at start")
    func keySetFromURL() async throws {
        let server = try LocalHTTPServer { request, _ in
            request.path == "/.well-known/jwks.json"
                ? .init(status: 200, headers: ["Content-Type": "application/json"], body: Data(ServiceFixture.issuer.keySetJSON.utf8))
                : .init(status: 404, body: Data())
        }
        defer { server.stop() }
        try await ServiceFixture.with(cohorts: nil) { fixture in
            let fromURL = try fixture.configuration {
                $0.auth.sessionTokens?.keySet = .url("http://127.0.0.1:\(server.port)/.well-known/jwks.json")
            }
            try await fixture.withApplication(fromURL) { client in
                let response = try await client.send(.get, "/v1/users/\(fixture.firstUser)/context", token: try await fixture.token(fixture.firstUser))
                #expect(response.status == .ok)
            }
            let missing = try fixture.configuration { $0.auth.sessionTokens?.keySet = .url("http://127.0.0.1:\(server.port)/nothing.json") }
            await #expect(throws: ServiceError.self) { _ = try await buildApplication(configuration: missing) }
        }
    }

    @Test("authentication can be disabled on a loopback bind only")
    func disabledOnLoopbackOnly() async throws {
        try await ServiceFixture.with(cohorts: nil) { fixture in
            await #expect(throws: ServiceError.self) {
                _ = try await buildApplication(
                    configuration: try fixture.configuration {
                        $0.auth = .disabledOnLoopback
                        $0.host = "0.0.0.0"
                    })
            }
            let open = try fixture.configuration { $0.auth = .disabledOnLoopback }
            try await fixture.withApplication(open) { client in
                let response = try await client.send(.get, "/v1/users/\(fixture.secondUser)/context")
                #expect(response.status == .ok)
            }
        }
    }

    @Test("the development key file is readable by its owner only (created 0600, not chmod-ed after the write)")
    func developmentKeyMode() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onering-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let issuer = try DevelopmentIssuer.stored(in: folder)
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/dev-key.pem")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Read back, it is the same issuer.
        #expect(try DevelopmentIssuer.stored(in: folder).keyID == issuer.keyID)
    }

    @Test("service keys are stored as hashes and matched exactly")
    func serviceKeys() {
        let (secret, key) = ServiceKey.generate(name: "writer", scopes: [.generate])
        #expect(secret.hasPrefix(ServiceKey.secretPrefix))
        #expect(!key.sha256.contains(secret))
        #expect(key.sha256 == ServiceKey.digest(of: secret))
        #expect(key.sha256 != ServiceKey.digest(of: secret + "x"))
    }

    /// The token with one character of its payload changed.
    static func tamper(_ token: String) -> String {
        var parts = token.split(separator: ".").map(String.init)
        var payload = Array(parts[1])
        payload[5] = payload[5] == "A" ? "B" : "A"
        parts[1] = String(payload)
        return parts.joined(separator: ".")
    }
}

internal import Embedding
internal import Foundation
internal import JWTKit

/// Verifies session tokens: the RS256 signature against the configured key set, then `exp`,
/// `nbf`, `iss` and `azp`, and maps the token to a creator.
///
/// The key set is loaded once and again whenever a token names a key id it does not hold
/// (keys rotate), at most once per `minimumRefreshInterval`.
actor SessionTokenVerifier {
    let settings: AuthConfiguration.SessionTokens
    private var keys = JWTKeyCollection()
    private var keyIDs: Set<String> = []
    /// When the last load started (recorded before fetching, so a slow or failed fetch still counts).
    private var lastAttempt: ContinuousClock.Instant?
    /// The reload in flight, which every token naming an unknown key waits for instead of starting its own.
    private var reload: Task<Void, Never>?

    init(settings: AuthConfiguration.SessionTokens) {
        self.settings = settings
    }

    /// Loads the key set now, so that a bad source fails at start.
    func load() async throws(ServiceError) {
        lastAttempt = .now
        let json = try await Self.fetch(settings.keySet)
        let collection = JWTKeyCollection()
        let ids: Set<String>
        do {
            let set = try JSONDecoder().decode(JWKS.self, from: Data(json.utf8))
            try await collection.add(jwks: set)
            ids = Set(set.keys.compactMap { $0.keyIdentifier?.string })
        } catch {
            throw ServiceError(.internalError, .internalServerError, "the JSON Web Key Set is not usable: \(error)")
        }
        keys = collection
        keyIDs = ids
    }

    /// Reloads the key set for a token naming an unknown key: one reload in flight at a time,
    /// at most one started per `minimumRefreshInterval`; a failed reload keeps the keys held.
    private func reloadForUnknownKey() async {
        if let reload {
            await reload.value
            return
        }
        if let lastAttempt, ContinuousClock.now - lastAttempt < settings.minimumRefreshInterval { return }
        lastAttempt = .now
        let task = Task { _ = try? await self.load() }
        reload = task
        await task.value
        reload = nil
    }

    /// The creator `token` signs in.
    func principal(for token: String) async throws(ServiceError) -> Principal {
        if let kid = Self.keyID(of: token), !keyIDs.contains(kid) {
            await reloadForUnknownKey()
            // Never fall back to another key (jwt-kit would try the first one).
            guard keyIDs.contains(kid) else { throw Self.unauthenticated("the token's key id is not in the key set") }
        }
        let claims: SessionClaims
        do {
            claims = try await keys.verify(token, as: SessionClaims.self)
        } catch {
            throw Self.unauthenticated("the token does not verify: \(Self.reason(error))")
        }
        let now = Date().timeIntervalSince1970
        guard let expires = claims.number("exp") else { throw Self.unauthenticated("the token has no exp") }
        guard now < expires + settings.leewaySeconds else { throw Self.unauthenticated("the token expired") }
        if let notBefore = claims.number("nbf"), now + settings.leewaySeconds < notBefore {
            throw Self.unauthenticated("the token is not valid yet (nbf)")
        }
        guard claims.text("iss") == settings.issuer else { throw Self.unauthenticated("the token's issuer is not accepted") }
        if !settings.authorizedParties.isEmpty {
            guard let party = claims.text("azp"), settings.authorizedParties.contains(party) else {
                throw Self.unauthenticated("the token's authorized party (azp) is not accepted")
            }
        }
        guard let userID = claims.claims[settings.userIDClaim]?.userID ?? claims.claims["sub"]?.userID else {
            throw ServiceError(.forbidden, .forbidden, "the token maps to no creator (no \(settings.userIDClaim) claim, and sub is not a user id)")
        }
        return .creator(userID: userID, admin: claims.text(settings.roleClaim) == "admin")
    }

    private static func unauthenticated(_ message: String) -> ServiceError {
        ServiceError(.unauthenticated, .unauthorized, message)
    }

    private static func reason(_ error: any Error) -> String {
        (error as? JWTError).map { $0.reason ?? $0.errorType.description } ?? "\(error)"
    }

    /// The `kid` of a token's header, without verifying anything.
    static func keyID(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["kid"] as? String
    }

    private static func fetch(_ source: AuthConfiguration.KeySetSource) async throws(ServiceError) -> String {
        switch source {
        case .file(let path):
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ServiceError(.internalError, .internalServerError, "the JSON Web Key Set \(path) cannot be read: \(error.localizedDescription)")
            }
        case .url(let url):
            do {
                let response = try await CurlHTTPClient.get(url: url, timeout: 10)
                guard response.status == 200 else {
                    throw ServiceError(.upstream, .badGateway, "the JSON Web Key Set \(url) answered \(response.status)")
                }
                return String(decoding: response.body, as: UTF8.self)
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.upstream, .badGateway, "the JSON Web Key Set \(url) cannot be fetched: \(error)")
            }
        }
    }
}

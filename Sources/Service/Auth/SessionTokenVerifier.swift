internal import Embedding
internal import Foundation
internal import JWTKit

/// Verifies session tokens: the RS256 signature against the configured key set, then `exp`,
/// `nbf`, `iss` and `azp`, and maps the token to a creator.
///
/// The key set is loaded once and again whenever a token names a key id it does not hold
/// (keys rotate), at most once per `minimumRefreshInterval`.
///
/// A token that verified is remembered by its whole text (at most ``verifiedCacheSize`` of them)
/// until its `exp` (plus the leeway), so a caller's next requests skip the RSA verification; a
/// load of the key set forgets them all, so a key taken out of the set stops its tokens at once.
actor SessionTokenVerifier {
    /// The most verified tokens remembered; the memory is emptied when it is full.
    static let verifiedCacheSize = 10_000
    let settings: AuthConfiguration.SessionTokens
    private var keys = JWTKeyCollection()
    private var keyIDs: Set<String> = []
    /// When the last load started (recorded before fetching, so a slow or failed fetch still counts).
    private var lastAttempt: ContinuousClock.Instant?
    /// The reload in flight, which every token naming an unknown key waits for instead of starting its own.
    private var reload: Task<Void, Never>?
    /// Tokens that verified, with what they sign in and until when (seconds since 1970).
    private var verified: [String: (principal: Principal, until: Double)] = [:]

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
        verified.removeAll()
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
        if let known = verified[token] {
            guard Date().timeIntervalSince1970 < known.until else {
                verified[token] = nil
                throw Self.unauthenticated("the token expired")
            }
            return known.principal
        }
        let principal = try await verify(token)
        if verified.count >= Self.verifiedCacheSize { verified.removeAll(keepingCapacity: true) }
        verified[token] = principal
        return principal.principal
    }

    /// Verifies `token` in full: what it signs in, and until when.
    private func verify(_ token: String) async throws(ServiceError) -> (principal: Principal, until: Double) {
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
        return (.creator(userID: userID, admin: claims.text(settings.roleClaim) == "admin"), expires + settings.leewaySeconds)
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

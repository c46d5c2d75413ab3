internal import Foundation
internal import Hummingbird

/// Turns a request's bearer credentials into a ``Principal``: a service key (`ork_…`),
/// or a session token verified by `SessionTokenVerifier`.
final class Authenticator: Sendable {
    let configuration: AuthConfiguration
    private let verifier: SessionTokenVerifier?

    /// An authenticator; call ``load()`` before the first request.
    init(configuration: AuthConfiguration) {
        self.configuration = configuration
        verifier = configuration.disabled ? nil : configuration.sessionTokens.map(SessionTokenVerifier.init)
    }

    /// Loads the session tokens' key set, so that a bad one fails at start.
    func load() async throws(ServiceError) {
        try await verifier?.load()
    }

    /// The principal of `request`: its `Authorization: Bearer` credentials.
    func principal(of request: Request) async throws(ServiceError) -> Principal {
        if configuration.disabled { return .anyone }
        guard let header = request.headers[.authorization] else {
            throw ServiceError(.unauthenticated, .unauthorized, "this route needs a bearer token")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ServiceError(.unauthenticated, .unauthorized, "the Authorization header must be `Bearer <token>`")
        }
        return try await principal(bearer: String(parts[1]).trimmingCharacters(in: .whitespaces))
    }

    /// The principal of a bearer credential: a service key or a session token.
    func principal(bearer token: String) async throws(ServiceError) -> Principal {
        if configuration.disabled { return .anyone }
        if token.hasPrefix(ServiceKey.secretPrefix) {
            let digest = ServiceKey.digest(of: token)
            // Compare with every key, so the time taken does not tell which one nearly matched.
            var found: ServiceKey?
            for key in configuration.serviceKeys where key.matches(digest: digest) { found = key }
            guard let found else { throw ServiceError(.unauthenticated, .unauthorized, "the service key is not known") }
            return .service(name: found.name, scopes: found.scopes)
        }
        guard let verifier else { throw ServiceError(.unauthenticated, .unauthorized, "session tokens are not accepted here; use a service key") }
        return try await verifier.principal(for: token)
    }
}

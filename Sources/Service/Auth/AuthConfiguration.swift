/// Who may call the service.
public struct AuthConfiguration: Sendable {
    /// Where the JSON Web Key Set that signs session tokens comes from.
    public enum KeySetSource: Sendable, Equatable {
        /// A JWKS file, read again when a token names an unknown key.
        case file(String)
        /// A JWKS URL (e.g. `https://<clerk frontend api>/.well-known/jwks.json`), fetched again when
        /// a token names an unknown key.
        case url(String)
    }

    /// Verification of bearer session tokens (RS256 JWTs, as Clerk issues them).
    public struct SessionTokens: Sendable {
        public var keySet: KeySetSource
        /// The only accepted `iss`.
        public var issuer: String
        /// Accepted `azp` values (the web app's origins); a token must carry one of them.
        /// Empty: `azp` is not checked.
        public var authorizedParties: Set<String>
        /// The claim holding the creator's numeric user id. Clerk's `sub` is its own id
        /// (`user_…`), so the session token template maps it, e.g.
        /// `"onering_user_id": "{{user.public_metadata.onering_user_id}}"`. A numeric `sub` is used when the claim is absent.
        public var userIDClaim: String
        /// The claim whose value `admin` grants rebuilds, jobs and traces (e.g.
        /// `"onering_role": "{{user.public_metadata.role}}"`).
        public var roleClaim: String
        /// Clock skew tolerated on `exp` and `nbf`, in seconds. Default 5.
        public var leewaySeconds: Double
        /// The least time between two reloads of the key set for unknown `kid`s. Default 30 s.
        public var minimumRefreshInterval: Duration

        /// Token verification against `keySet` for `issuer`.
        public init(
            keySet: KeySetSource, issuer: String, authorizedParties: Set<String> = [], userIDClaim: String = "onering_user_id",
            roleClaim: String = "onering_role", leewaySeconds: Double = 5, minimumRefreshInterval: Duration = .seconds(30)
        ) {
            self.keySet = keySet
            self.issuer = issuer
            self.authorizedParties = authorizedParties
            self.userIDClaim = userIDClaim
            self.roleClaim = roleClaim
            self.leewaySeconds = leewaySeconds
            self.minimumRefreshInterval = minimumRefreshInterval
        }
    }

    /// Session tokens, or nil to accept service keys only.
    public var sessionTokens: SessionTokens?
    /// Static keys of service-to-service callers (stored hashed).
    public var serviceKeys: [ServiceKey]
    /// No authentication at all: every request acts as an administrator. Refused unless the
    /// service binds a loopback address, and logged as a warning at start.
    public var disabled: Bool

    /// Authentication with session tokens and service keys.
    public init(sessionTokens: SessionTokens?, serviceKeys: [ServiceKey] = []) {
        self.sessionTokens = sessionTokens
        self.serviceKeys = serviceKeys
        disabled = false
    }

    /// No authentication (loopback binds only).
    public static let disabledOnLoopback: AuthConfiguration = {
        var configuration = AuthConfiguration(sessionTokens: nil)
        configuration.disabled = true
        return configuration
    }()
}

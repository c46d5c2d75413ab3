/// Who a request acts for, once authenticated.
public enum Principal: Sendable, Equatable {
    /// A creator signed in with a session token; `admin` from the role claim.
    case creator(userID: Int64, admin: Bool)
    /// A service-to-service caller with a static key and its scopes.
    case service(name: String, scopes: Set<Scope>)
    /// Authentication is disabled (loopback only): everything is allowed.
    case anyone

    /// What a service key may do.
    public enum Scope: String, Sendable, Codable, CaseIterable {
        /// Read contexts, cohorts and search.
        case read
        /// Write profiles and posts, refresh embeddings.
        case write
        /// Generate posts.
        case generate
        /// Rebuild cohorts, read jobs and traces.
        case admin
    }

    /// Whether this principal may do `scope` on creator `userID`'s resources.
    func may(_ scope: Scope, userID: Int64) -> Bool {
        switch self {
        case .anyone: true
        case .creator(let own, let admin): admin || (own == userID && scope != .admin)
        case .service(_, let scopes): scopes.contains(scope) || scopes.contains(.admin)
        }
    }

    /// Whether this principal may do `scope` on resources of no single creator (cohorts, search, jobs).
    func may(_ scope: Scope) -> Bool {
        switch self {
        case .anyone: true
        case .creator(_, let admin): admin || scope == .read
        case .service(_, let scopes): scopes.contains(scope) || scopes.contains(.admin)
        }
    }
}

public import Hummingbird
public import NIOCore

/// The request context of every route: Hummingbird's core storage, plus the principal the
/// authentication middleware found (nil on the open routes, and before it ran).
public struct OneRingRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who the request acts for; set by `AuthenticationMiddleware` before any handler runs.
    public var principal: Principal?
    /// A random id for this request, sent as `X-Request-ID` and logged with its failures.
    public let requestID: String
    /// The request's connection, so a middleware can ask it to close once the response is written.
    let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
        principal = nil
        requestID = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// The principal, which must be allowed `scope` on creator `userID`'s resources (or, with
    /// no user, on shared ones): 403 otherwise.
    @discardableResult
    func authorize(_ scope: Principal.Scope, userID: Int64? = nil) throws(ServiceError) -> Principal {
        guard let principal else {
            // Only a route registered outside the authenticated group can get here.
            throw ServiceError(.unauthenticated, .unauthorized, "this route needs a bearer token")
        }
        let allowed = userID.map { principal.may(scope, userID: $0) } ?? principal.may(scope)
        guard allowed else {
            if let userID {
                throw ServiceError(.forbidden, .forbidden, "these credentials may not \(scope.rawValue) creator \(userID)'s resources")
            }
            throw ServiceError(.forbidden, .forbidden, "these credentials lack the \(scope.rawValue) scope")
        }
        return principal
    }
}

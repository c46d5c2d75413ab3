internal import Foundation
internal import Hummingbird
internal import Synchronization

/// Signed-in dashboard browsers: an administrator posts a token to the sign-in form once and
/// gets a random session id in an HttpOnly, SameSite=Strict cookie scoped to `/dashboard`, so
/// the token never reaches a URL, the browser's history or a log.
final class DashboardSessions: Sendable {
    /// The cookie's name.
    static let cookieName = "onering_dashboard"
    /// How long a session lasts. Default 8 hours.
    let lifetime: Duration
    /// At most this many sessions are kept; the oldest goes first.
    let capacity: Int
    private let sessions = Mutex<[String: (principal: Principal, expires: ContinuousClock.Instant)]>([:])

    init(lifetime: Duration = .seconds(8 * 3_600), capacity: Int = 1_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// A new session for `principal` and the `Set-Cookie` value that carries it.
    func open(for principal: Principal, secure: Bool) -> String {
        var generator = SystemRandomNumberGenerator()
        let id = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64URLEncoded
        let now = ContinuousClock.now
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires })?.key {
                sessions[oldest] = nil
            }
            sessions[id] = (principal, now + lifetime)
        }
        let seconds = Int(lifetime.components.seconds)
        return "\(Self.cookieName)=\(id); Path=/dashboard; Max-Age=\(seconds); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// The principal of the session cookie of a `/dashboard` request, if it names a live session.
    func principal(of request: Request) -> Principal? {
        guard request.uri.path == "/dashboard" || request.uri.path.hasPrefix("/dashboard/"), let id = Self.sessionID(in: request) else { return nil }
        let now = ContinuousClock.now
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            return session.principal
        }
    }

    /// Ends the session of `request`'s cookie.
    func close(_ request: Request) {
        guard let id = Self.sessionID(in: request) else { return }
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// The `Set-Cookie` value that removes the cookie.
    static let expiredCookie = "\(cookieName)=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict"

    private static func sessionID(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName {
                    return String(parts[1]).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}

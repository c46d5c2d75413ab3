internal import Synchronization

/// A sliding-window limit per principal, kept in memory: at most `limit.count` events per
/// `limit.window` for each caller. It bounds what a caller can spend of a paid provider
/// (the embedder) that a request triggers.
final class PrincipalRateLimiter: Sendable {
    let limit: ServiceConfiguration.RateLimit
    /// Callers remembered at most; beyond it, those idle longest are forgotten.
    let capacity: Int
    private let events = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: ServiceConfiguration.RateLimit, capacity: Int = 100_000) {
        self.limit = limit
        self.capacity = capacity
    }

    /// Counts one event for `principal`; 429 with `Retry-After` when its window is full.
    func admit(_ principal: Principal, what: String) throws(ServiceError) {
        let now = ContinuousClock.now
        let key = principal.rateLimitKey
        let wait: Duration? = events.withLock { events in
            var times = events[key, default: []].filter { now - $0 < limit.window }
            if times.count >= limit.count { return limit.window - (now - times[0]) }
            times.append(now)
            if events[key] == nil, events.count >= capacity {
                events = events.filter { now - ($0.value.last ?? now) < limit.window }
                if events.count >= capacity, let idlest = events.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key {
                    events[idlest] = nil
                }
            }
            events[key] = times
            return nil
        }
        if let wait {
            let seconds = max(1, Int(wait.seconds.rounded(.up)))
            throw ServiceError(
                .rateLimited, .tooManyRequests, "at most \(limit.count) \(what) per \(Int(limit.window.seconds)) s; retry in \(seconds) s",
                retryAfterSeconds: seconds)
        }
    }
}

extension Principal {
    /// Who counts as one caller for per-caller limits.
    var rateLimitKey: String {
        switch self {
        case .creator(let userID, _): "creator:\(userID)"
        case .service(let name, _): "service:\(name)"
        case .anyone: "anyone"
        }
    }
}

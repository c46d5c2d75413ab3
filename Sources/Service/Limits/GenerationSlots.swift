internal import Synchronization

/// Bounds the generations streaming at once, overall and per creator, so that neither one
/// creator nor a crowd can hold every provider connection and transfer thread.
final class GenerationSlots: Sendable {
    let overall: Int
    let perCreator: Int
    private let running = Mutex<(total: Int, byCreator: [Int64: Int])>((0, [:]))

    init(overall: Int, perCreator: Int) {
        precondition(overall > 0 && perCreator > 0, "generation slots must be positive")
        self.overall = overall
        self.perCreator = perCreator
    }

    /// Takes a slot for `userID`'s generation; give it back with ``release(userID:)``.
    ///
    /// - Throws: 429 (`tooManyConcurrent`) when the creator has `perCreator` running, 503 when
    ///   the service has `overall` running; both with `Retry-After`.
    func acquire(userID: Int64) throws(ServiceError) {
        let refusal: ServiceError? = running.withLock { running in
            if running.byCreator[userID, default: 0] >= perCreator {
                return ServiceError(
                    .tooManyConcurrent, .tooManyRequests,
                    "creator \(userID) already has \(perCreator) generations running; wait for one to finish", retryAfterSeconds: 5)
            }
            if running.total >= overall {
                return ServiceError(.unavailable, .serviceUnavailable, "the service is writing \(overall) posts at once; retry shortly", retryAfterSeconds: 5)
            }
            running.total += 1
            running.byCreator[userID, default: 0] += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    /// Gives back a slot taken by ``acquire(userID:)``.
    func release(userID: Int64) {
        running.withLock { running in
            running.total -= 1
            let left = running.byCreator[userID, default: 1] - 1
            running.byCreator[userID] = left > 0 ? left : nil
        }
    }

    /// Generations running now.
    var count: Int { running.withLock { $0.total } }
}

internal import Foundation
public import Logging

/// The one retry policy of every provider call (embeddings, chat completions, the key set):
/// exponential backoff with full jitter, capped, and at least what a `Retry-After` asks, also capped.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt.
    public var maximumRetries: Int
    /// The first backoff, doubled per retry, in seconds.
    public var initialBackoff: Double
    /// The longest backoff, in seconds.
    public var maximumBackoff: Double
    /// The longest wait a `Retry-After` may impose, in seconds; a server asking for more is waited this long.
    public var maximumRetryAfter: Double

    /// A policy; the defaults are the embedder's (5 retries from 0.5 s, backoff ≤ 30 s, Retry-After ≤ 60 s).
    public init(maximumRetries: Int = 5, initialBackoff: Double = 0.5, maximumBackoff: Double = 30, maximumRetryAfter: Double = 60) {
        self.maximumRetries = maximumRetries
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// What one attempt came to.
    public enum Attempt<Value, Failure: Error> {
        /// It worked.
        case success(Value)
        /// It failed in a way worth another try (429, 5xx, transport), after `retryAfter` seconds at least.
        case retry(Failure, retryAfter: Double)
    }

    /// Seconds to wait before retry number `attempt + 1`: a random share of the capped backoff,
    /// or what the server asked, whichever is longer, never beyond `maximumRetryAfter`.
    public func wait(afterAttempt attempt: Int, retryAfter: Double) -> Double {
        let backoff = min(maximumBackoff, initialBackoff * pow(2, Double(min(attempt, 30))))
        return min(max(retryAfter, Double.random(in: 0...max(0, backoff))), maximumRetryAfter)
    }

    /// Runs `body` until it succeeds, throws, or the retries run out; waits between attempts
    /// with `Task.sleep`, so cancelling the task ends a wait at once (and throws `cancelled()`).
    ///
    /// - Parameters:
    ///   - label: what is being called, for the log line of each retry.
    ///   - message: a failure's text for the log.
    ///   - gaveUp: the error thrown when the retries run out, from the last failure and the attempts made.
    public func run<Value, Failure: Error>(
        _ label: String, logger: Logger, message: (Failure) -> String, cancelled: () -> Failure,
        gaveUp: (Failure, _ attempts: Int) -> Failure, _ body: (_ attempt: Int) async throws(Failure) -> Attempt<Value, Failure>
    ) async throws(Failure) -> Value {
        var attempt = 0
        while true {
            if Task.isCancelled { throw cancelled() }
            switch try await body(attempt) {
            case .success(let value):
                return value
            case .retry(let failure, let retryAfter):
                guard attempt < maximumRetries else { throw gaveUp(failure, attempt + 1) }
                let seconds = wait(afterAttempt: attempt, retryAfter: retryAfter)
                let reason =
                    retryAfter > 0
                    ? "it asked to wait \(retryAfter) s (Retry-After\(retryAfter > maximumRetryAfter ? ", capped at \(maximumRetryAfter) s" : ""))"
                    : "backing off"
                logger.warning(
                    "\(label): \(message(failure)); waiting \(String(format: "%.1f", seconds)) s before retry \(attempt + 1) of \(maximumRetries): \(reason)")
                do { try await Task.sleep(for: .seconds(seconds)) } catch { throw cancelled() }
                attempt += 1
            }
        }
    }
}

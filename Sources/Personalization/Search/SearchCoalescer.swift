internal import Dispatch
internal import Synchronization
internal import VectorMath

/// Coalesces concurrent exact searches into batched GEMMs.
///
/// A search that arrives while no batch runs starts one at once, alone: an idle engine adds
/// no latency. Searches that arrive while a batch runs wait for it and then go together, up
/// to `maximumBatch`, in one matrix–matrix product: the window is the previous batch's run
/// time, so it is short when the load is light and the batches grow with the load. The
/// batches run on a serial queue of their own, never on Swift's cooperative threads.
final class SearchCoalescer: Sendable {
    /// One waiting search.
    struct Request: Sendable {
        /// The unit query.
        var query: [Float]
        var k: Int
        var excluding: Set<Int64>
        var continuation: CheckedContinuation<Result<[Neighbor], PersonalizationError>, Never>
    }

    /// What the coalescer has done since start.
    struct Counters: Sendable, Equatable {
        /// Searches answered and batches run.
        var searches = 0
        var batches = 0
    }

    private struct State {
        var waiting: [Request] = []
        var running = false
        var counters = Counters()
    }

    let maximumBatch: Int
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "onering.search-batches", qos: .userInitiated)
    private let run: @Sendable ([Request]) -> [Result<[Neighbor], PersonalizationError>]

    /// A coalescer that answers a batch with `run` (one result per request, in order).
    init(maximumBatch: Int, run: @escaping @Sendable ([Request]) -> [Result<[Neighbor], PersonalizationError>]) {
        precondition(maximumBatch > 0, "a batch holds at least one search")
        self.maximumBatch = maximumBatch
        self.run = run
    }

    var counters: Counters { state.withLock { $0.counters } }

    /// Searches waiting for the next batch.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// The `k` nearest rows to the unit `query`, leaving out `excluding`, in the next batch.
    func search(query: [Float], k: Int, excluding: Set<Int64>) async throws(PersonalizationError) -> [Neighbor] {
        let result = await withCheckedContinuation { continuation in
            let startsBatch = state.withLock { state in
                state.waiting.append(Request(query: query, k: k, excluding: excluding, continuation: continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            if startsBatch { queue.async { self.drain() } }
        }
        return try result.get()
    }

    /// Runs batches until nobody waits.
    private func drain() {
        while true {
            let batch: [Request] = state.withLock { state in
                let taken = Array(state.waiting.prefix(maximumBatch))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty {
                    state.running = false
                } else {
                    state.counters.batches += 1
                    state.counters.searches += taken.count
                }
                return taken
            }
            guard !batch.isEmpty else { return }
            for (request, result) in zip(batch, run(batch)) { request.continuation.resume(returning: result) }
        }
    }
}

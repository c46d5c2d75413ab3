internal import Synchronization

/// Wakes the tasks waiting for work: ``wait(upTo:)`` returns at a ``signal()`` or after the
/// timeout, whichever comes first. A signal while no task waits is kept for the next wait, so a
/// job queued between a runner's empty claim and its wait is not left for the next poll.
///
/// (An `AsyncStream` does not do here: cancelling a task waiting on its iterator finishes the
/// stream, and every later wait would return at once: a busy loop of queue polls.)
final class WakeSignal: Sendable {
    private struct State {
        /// Waits in progress, and the continuation of those that got as far as suspending.
        var active: Set<Int> = []
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits released (signalled, timed out) before their continuation was registered.
        var released: Set<Int> = []
        var nextID = 0
        var pending = false

        /// Releases wait `id`: its continuation when it has one (to resume), else a mark that
        /// makes it return as soon as it registers.
        mutating func release(_ id: Int) -> CheckedContinuation<Void, Never>? {
            if let waiter = waiters.removeValue(forKey: id) { return waiter }
            released.insert(id)
            return nil
        }
    }

    private let state = Mutex(State())

    /// Wakes every waiting task, or the next one to wait.
    func signal() {
        let waiters = state.withLock { state in
            if state.active.isEmpty { state.pending = true }
            return state.active.compactMap { state.release($0) }
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next signal (at once if one is pending) or after `timeout`.
    func wait(upTo timeout: Duration) async {
        let id: Int? = state.withLock { state in
            if state.pending {
                state.pending = false
                return nil
            }
            defer { state.nextID += 1 }
            state.active.insert(state.nextID)
            return state.nextID
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.suspend(id) }
            await group.next()
            group.cancelAll()
            state.withLock { $0.release(id) }?.resume()
        }
        state.withLock { state in
            state.active.remove(id)
            state.released.remove(id)
        }
    }

    /// Suspends until wait `id` is released (at once if it already was).
    private func suspend(_ id: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let released = state.withLock { state in
                guard !state.released.contains(id) else { return true }
                state.waiters[id] = continuation
                return false
            }
            if released { continuation.resume() }
        }
    }
}

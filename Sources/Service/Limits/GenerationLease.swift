internal import Logging
internal import ProfileStore
internal import Synchronization

/// One admitted generation's slot and trace. The stream ends it with ``end()``; if the
/// response is dropped before its body ever runs (the client left first), the lease's deinit
/// stops the generation (`onAbandon`), gives the slot back and records the generation as
/// cancelled, so every admitted generation ends in exactly one trace and one count, and no
/// provider call runs for a client that left.
final class GenerationLease: Sendable {
    let userID: Int64
    let trace: GenerationTrace
    private let slots: GenerationSlots
    private let store: ProfileStore
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let ended = Atomic<Bool>(false)
    private let onAbandon: @Sendable () -> Void

    init(
        userID: Int64, trace: GenerationTrace, slots: GenerationSlots, store: ProfileStore, metrics: ServiceMetrics, logger: Logger,
        onAbandon: @escaping @Sendable () -> Void
    ) {
        self.onAbandon = onAbandon
        self.userID = userID
        self.trace = trace
        self.slots = slots
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Gives the slot back and records `finished`; awaited, so a graceful shutdown waits for the
    /// trace. The write runs in a task of its own, which a disconnect does not cancel.
    /// - Returns: the trace's id, nil when it was not recorded (or the lease had ended).
    @discardableResult
    func end(with finished: GenerationTrace) async -> Int64? {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        slots.release(userID: userID)
        metrics.recordGeneration(status: finished.status.rawValue)
        let store = store, logger = logger
        return await Task { await Self.record(finished, in: store, logger: logger) }.value
    }

    deinit {
        guard !ended.load(ordering: .acquiring) else { return }
        onAbandon()
        slots.release(userID: userID)
        var abandoned = trace
        abandoned.status = .cancelled
        abandoned.error = "the client left before the stream started"
        metrics.recordGeneration(status: abandoned.status.rawValue)
        let store = store, logger = logger
        Task { await Self.record(abandoned, in: store, logger: logger) }
    }

    @discardableResult
    private static func record(_ trace: GenerationTrace, in store: ProfileStore, logger: Logger) async -> Int64? {
        do throws(ProfileStoreError) { return try await store.recordGenerationTrace(trace) } catch {
            logger.warning("generation trace not recorded: \(error.message)")
            return nil
        }
    }
}

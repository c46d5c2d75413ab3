internal import Foundation
public import ProfileStore
internal import Synchronization

/// The steps a generation completed and the spans of its trace. A job's journal starts with
/// the steps an earlier attempt stored and stores each new one as it completes, so that a
/// retried job resumes after its last completed step; a streamed generation's lives in memory.
public final class GenerationJournal: Sendable {
    /// Stores a completed step (a job's claim must still hold, else it throws).
    public typealias Persist = @Sendable (_ key: String, _ step: GenerationRecord.Step) async throws(GenerationError) -> Void

    private let persist: Persist?
    private let state: Mutex<(completed: [String: GenerationRecord.Step], spans: [GenerationSpan])>

    /// A journal holding `completed` steps; new ones go to `persist` too.
    public init(completed: [String: GenerationRecord.Step] = [:], persist: Persist? = nil) {
        self.persist = persist
        state = Mutex((completed, completed.values.map(\.span).sorted { $0.startedAt < $1.startedAt }))
    }

    /// Every span so far: the earlier attempts' completed steps, then this run's steps, failed ones included.
    public var spans: [GenerationSpan] { state.withLock { $0.spans } }

    func completed(_ key: String) -> GenerationRecord.Step? { state.withLock { $0.completed[key] } }

    func record(_ key: String, _ step: GenerationRecord.Step) async throws(GenerationError) {
        try await persist?(key, step)
        state.withLock {
            $0.completed[key] = step
            $0.spans.append(step.span)
        }
    }

    func recordFailure(_ span: GenerationSpan) { state.withLock { $0.spans.append(span) } }
}

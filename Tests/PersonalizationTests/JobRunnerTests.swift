import Foundation
import Logging
import Personalization
import ProfileStore
import Testing

@Suite("Job runner, against the database")
struct JobRunnerTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("queued rebuild and backfill jobs run once, with their results readable")
    func runs() async throws {
        try await EngineFixture.with(creators: 60, embed: false) { fixture in
            let runner = JobRunner(store: fixture.store, embedder: fixture.embedder, logger: Self.logger)
            let backfill = try await fixture.store.enqueueJob(kind: JobRunner.backfillKind)
            #expect(try await runner.runQueued() == 1)
            let done = try #require(try await fixture.store.job(id: backfill.id))
            #expect(done.status == .succeeded && done.attempts == 1 && done.resultJSON?.contains("\"embedded\": 60") == true)

            let rebuild = try await fixture.store.enqueueJob(kind: JobRunner.rebuildKind, payloadJSON: #"{"k": 3, "seed": 2}"#)
            #expect(try await runner.runQueued() == 1)
            let rebuilt = try #require(try await fixture.store.job(id: rebuild.id))
            #expect(rebuilt.status == .succeeded)
            #expect(try await fixture.store.cohortRuns().first?.k == 3)
            #expect(try await runner.runQueued() == 0)
        }
    }

    @Test("a bad payload fails its job with the reason")
    func badPayload() async throws {
        try await EngineFixture.with(creators: 10) { fixture in
            let runner = JobRunner(store: fixture.store, embedder: fixture.embedder, logger: Self.logger)
            let job = try await fixture.store.enqueueJob(kind: JobRunner.rebuildKind, payloadJSON: #"{"k": "many"}"#)
            _ = try await runner.runQueued()
            let failed = try #require(try await fixture.store.job(id: job.id))
            #expect(failed.status == .failed && failed.error?.contains("many") == true)
            await #expect(throws: ProfileStoreError.self) { try await fixture.store.enqueueJob(kind: "x", payloadJSON: "not json") }
        }
    }

    @Test("a job whose runner died is queued again, then failed after its last attempt")
    func staleJobs() async throws {
        try await EngineFixture.with(creators: 10) { fixture in
            let job = try await fixture.store.enqueueJob(kind: JobRunner.backfillKind)
            // A runner claims it and dies: no heartbeat, no finish.
            let claimed = try await fixture.store.claimJob(kinds: [JobRunner.backfillKind], staleAfter: 60, maxAttempts: 2)
            #expect(claimed?.id == job.id && claimed?.status == .running)
            #expect(try await fixture.store.claimJob(kinds: [JobRunner.backfillKind], staleAfter: 60, maxAttempts: 2) == nil)
            // With a zero grace period it is stale at once: queued again and claimed (attempt 2).
            let again = try await fixture.store.claimJob(kinds: [JobRunner.backfillKind], staleAfter: 0, maxAttempts: 2)
            #expect(again?.id == job.id && again?.attempts == 2)
            // The first claim's runner comes back: its lease is gone, so neither its heartbeat nor its result lands.
            #expect(try await fixture.store.recordJobProgress(id: job.id, attempt: 1, progressJSON: "{}") == false)
            #expect(try await fixture.store.finishJob(id: job.id, attempt: 1, resultJSON: "{}", error: nil) == false)
            #expect(try await fixture.store.job(id: job.id)?.status == .running)
            // A stale job of another kind is not this runner's to reclaim.
            #expect(try await fixture.store.claimJob(kinds: [JobRunner.rebuildKind], staleAfter: 0, maxAttempts: 2) == nil)
            #expect(try await fixture.store.job(id: job.id)?.attempts == 2)
            // Its runner dies again: the last attempt is spent, so it fails.
            #expect(try await fixture.store.claimJob(kinds: [JobRunner.backfillKind], staleAfter: 0, maxAttempts: 2) == nil)
            let failed = try #require(try await fixture.store.job(id: job.id))
            #expect(failed.status == .failed && failed.error?.contains("stopped") == true)
        }
    }
}

import Foundation
import Synchronization
import Testing
import VectorMath

@testable import Personalization

@Suite("Search coalescing")
struct SearchCoalescerTests {
    @Test("searches that arrive while a batch runs go together in the next batch; an idle search goes alone")
    func batching() async throws {
        let sizes = Mutex<[Int]>([])
        let firstBatchMayFinish = DispatchSemaphore(value: 0)
        let coalescer = SearchCoalescer(maximumBatch: 8) { batch in
            let isFirst = sizes.withLock {
                $0.append(batch.count)
                return $0.count == 1
            }
            if isFirst { firstBatchMayFinish.wait() }
            return batch.map { .success([Neighbor(id: Int64($0.k), score: 1)]) }
        }
        async let first = coalescer.search(query: [1], k: 100, excluding: [])
        while sizes.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(1)) }
        // Twenty searches arrive while the first batch runs.
        let waiting = Task {
            try await withThrowingTaskGroup(of: (Int, [Neighbor]).self) { group in
                for k in 1...20 { group.addTask { (k, try await coalescer.search(query: [1], k: k, excluding: [])) } }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
        }
        while coalescer.waitingCount < 20 { try await Task.sleep(for: .milliseconds(1)) }
        firstBatchMayFinish.signal()
        #expect(try await first.map(\.id) == [100])
        let answers = try await waiting.value
        // Each search gets its own answer back.
        #expect((1...20).allSatisfy { answers[$0]?.map(\.id) == [Int64($0)] })
        #expect(sizes.withLock { $0 } == [1, 8, 8, 4])
        #expect(coalescer.counters == .init(searches: 21, batches: 4))
    }

    @Test("coalesced exact searches give the true top k of the naive oracle")
    func sameAnswers() async throws {
        try await EngineFixture.with(creators: 200) { fixture in
            let engine = try await fixture.engine()
            let users = Array(fixture.creators.prefix(48).map(\.user.id))
            let coalesced = try await withThrowingTaskGroup(of: (Int64, [Neighbor]).self) { group in
                for user in users { group.addTask { (user, try await engine.nearestCreators(toUser: user, k: 7)) } }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            // Checked against the naive oracle on the stored rows, not against another path of the engine.
            let oracle = BruteForceOracle(try await fixture.store.embeddings())
            for user in users { #expect(oracle.problems(try #require(coalesced[user]), forUser: user, k: 7) == []) }
            #expect(engine.coalescedSearches.searches == users.count)
        }
    }
}

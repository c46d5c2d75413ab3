import Logging
@testable import Personalization
import ProfileStore
import Testing
import VectorMath

@Suite("The engine's exact search paths agree")
struct EngineSearchPathsTests {
    @Test("with a cohort run: the float16 partition made exact, the int8 index and a batch give the same ids")
    func pathsAgree() async throws {
        try await EngineFixture.with(creators: 400) { fixture in
            _ = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(5))).run()
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let partition = try await PersonalizationEngine.start(store: fixture.store, embedder: fixture.embedder,
                                                                  configuration: .init(maximumSearchBatch: 1, int8Scoring: false), logger: logger)
            let int8 = try await PersonalizationEngine.start(store: fixture.store, embedder: fixture.embedder,
                                                             configuration: .init(int8Scoring: true), logger: logger)
            #expect(partition.status.cohortRunID != nil)
            let users = fixture.creators.prefix(40).map(\.user.id)
            let batched = try await withThrowingTaskGroup(of: (Int64, [Int64]).self) { group in
                for user in users { group.addTask { (user, try await int8.nearestCreators(toUser: user, k: 8).map(\.id)) } }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for user in users {
                let viaPartition = try partition.similarCreators(toUser: user, k: 8)
                let viaInt8 = try int8.similarCreators(toUser: user, k: 8)
                // Equal ids, or scores equal to float32 rounding where a near-tie swapped two of them.
                for (a, b) in zip(viaPartition, viaInt8) { #expect(a.id == b.id || abs(a.score - b.score) <= 2e-6, "creator \(user)") }
                #expect(batched[user] == viaInt8.map(\.id), "creator \(user)")
            }
        }
    }
}

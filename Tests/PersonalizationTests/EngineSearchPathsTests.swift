import Logging
import ProfileStore
import Testing
import VectorMath

@testable import Personalization

@Suite("The engine's exact search paths agree")
struct EngineSearchPathsTests {
    @Test("with a cohort run: the int8 partition made exact, the int8 index and a batch each give the oracle's top k")
    func pathsAgree() async throws {
        try await EngineFixture.with(creators: 400) { fixture in
            _ = try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(5))).run()
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let partition = try await PersonalizationEngine.start(
                store: fixture.store, embedder: fixture.embedder,
                configuration: .init(maximumSearchBatch: 1, int8Scoring: false), logger: logger)
            let int8 = try await PersonalizationEngine.start(
                store: fixture.store, embedder: fixture.embedder,
                configuration: .init(int8Scoring: true), logger: logger)
            #expect(partition.status.cohortRunID != nil)
            let users = fixture.creators.prefix(40).map(\.user.id)
            let batched = try await withThrowingTaskGroup(of: (Int64, [Neighbor]).self) { group in
                for user in users { group.addTask { (user, try await int8.nearestCreators(toUser: user, k: 8)) } }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            // Every path against the naive oracle on the stored rows (a near-tie may swap two creators).
            let oracle = BruteForceOracle(try await fixture.store.embeddings())
            for user in users {
                #expect(oracle.problems(try partition.similarCreators(toUser: user, k: 8), forUser: user, k: 8) == [])
                #expect(oracle.problems(try int8.similarCreators(toUser: user, k: 8), forUser: user, k: 8) == [])
                #expect(oracle.problems(try #require(batched[user]), forUser: user, k: 8) == [])
            }
        }
    }
}

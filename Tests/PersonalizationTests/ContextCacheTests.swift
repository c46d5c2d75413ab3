import Foundation
import Logging
import ProfileStore
import Testing

@testable import Personalization

@Suite("The context cache: served again only while nothing it read has changed")
struct ContextCacheTests {
    /// `context` with `generatedAt` set to `reference`'s, as JSON: what a cached copy must match.
    private func restamped(_ context: PersonalizationContext, like reference: PersonalizationContext) -> Data {
        var copy = context
        copy.generatedAt = reference.generatedAt
        return copy.jsonData()
    }

    @Test("a context asked again comes from the cache; a write to the creator, a neighbour's handle or post, or a new run shows in the next one")
    func invalidation() async throws {
        try await EngineFixture.with(creators: 300) { fixture in
            try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(6))).run()
            let engine = try await fixture.engine()
            try await engine.synchronize()
            let options = PersonalizationEngine.ContextOptions(similarCreators: 10, exemplars: 5, tokenBudget: 20_000)
            let first = try await engine.context(for: 4, options: options)
            let again = try await engine.context(for: 4, options: options)
            #expect(engine.contextCacheStatistics.hits == 1 && engine.contextCacheStatistics.misses == 1)
            #expect(again.generatedAt >= first.generatedAt && !again.embedding.refreshed)
            #expect(restamped(again, like: first) == first.jsonData())
            // Other options are another context.
            _ = try await engine.context(for: 4, options: .init(similarCreators: 5, exemplars: 5, tokenBudget: 20_000))
            #expect(engine.contextCacheStatistics.misses == 2)

            // The creator's bio, written by another process: the feed brings it, the next context reads it.
            let creator = fixture.creators[3].user
            _ = try await fixture.store.importUsers([
                Numbered(line: 1, record: UserRecord(id: 4, handle: creator.handle, name: creator.name, bio: "now writing about tide pools"))
            ])
            try await engine.synchronize()
            let afterBio = try await engine.context(for: 4, options: options)
            #expect(afterBio.creator.bio == "now writing about tide pools")

            // A neighbour's new handle.
            let neighbour = try #require(afterBio.similarCreators.first).id
            let neighbourUser = try #require(fixture.creators.first { $0.user.id == neighbour }).user
            _ = try await fixture.store.importUsers([
                Numbered(line: 1, record: UserRecord(id: neighbour, handle: "renamed_\(neighbour)", name: neighbourUser.name))
            ])
            try await engine.synchronize()
            let afterHandle = try await engine.context(for: 4, options: options)
            #expect(afterHandle.similarCreators.first { $0.id == neighbour }?.handle == "renamed_\(neighbour)")

            // An exemplar's engagement, raised by another process.
            let exemplar = try #require(afterHandle.exemplars.first { !$0.own })
            var post = try #require(fixture.creators.flatMap(\.posts).first { $0.id == exemplar.postID })
            post.views = max(post.views, 100)
            post.likes = post.views
            _ = try await fixture.store.importPosts([Numbered(line: 1, record: post)])
            try await engine.synchronize()
            let afterPost = try await engine.context(for: 4, options: options)
            let raised = try #require(afterPost.exemplars.first { $0.postID == exemplar.postID })
            #expect(raised.breakdown.engagement > exemplar.breakdown.engagement)

            // A new active run.
            try await CohortRebuild(store: fixture.store, parameters: .init(k: .fixed(4))).run()
            try await engine.synchronize()
            let afterRun = try await engine.context(for: 4, options: options)
            #expect(afterRun.cohort?.runID != afterPost.cohort?.runID)
            // Each write emptied the cache: only the first repeat was a hit.
            #expect(engine.contextCacheStatistics.hits == 1)
        }
    }

    @Test("a context built while a change was applied is not kept; the cache stays within its budget; off, it keeps nothing")
    func generationsAndBudget() async throws {
        try await EngineFixture.with(creators: 120) { fixture in
            let engine = try await fixture.engine()
            try await engine.synchronize()
            let options = PersonalizationEngine.ContextOptions()
            let context = try await engine.context(for: 7, options: options)
            // Built in a generation that ended before it was kept: not served.
            let cache = ContextCache(budget: 1 << 20)
            let key = ContextCache.Key(userID: 7, options: options)
            let generation = cache.generation
            cache.invalidateAll()
            cache.insert(context, for: key, builtIn: generation)
            #expect(cache.context(for: key) == nil)
            cache.insert(context, for: key, builtIn: cache.generation)
            #expect(cache.context(for: key) != nil)
            // Many contexts: the bytes stay under the budget, and some are kept.
            for userID in Int64(1)...2_000 { cache.insert(context, for: .init(userID: userID, options: options), builtIn: cache.generation) }
            #expect(cache.statistics.bytes <= cache.budget && cache.statistics.entries > 10)

            let off = try await PersonalizationEngine.start(
                store: fixture.store, embedder: fixture.embedder, configuration: .init(contextCacheBytes: 0),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            _ = try await off.context(for: 7, options: options)
            _ = try await off.context(for: 7, options: options)
            #expect(off.contextCacheStatistics == .init())
        }
    }
}

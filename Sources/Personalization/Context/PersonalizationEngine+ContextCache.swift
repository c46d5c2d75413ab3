internal import ProfileStore

extension PersonalizationEngine {
    /// What the context cache has done since the engine started (see `Configuration.contextCacheBytes`).
    public struct ContextCacheStatistics: Sendable, Equatable {
        /// Contexts served from the cache, and built because none was kept.
        public var hits = 0
        public var misses = 0
        /// Contexts held now, and about how many bytes they take.
        public var entries = 0
        public var bytes = 0
        /// Changes learnt of so far: each emptied the cache.
        public var generation: UInt64 = 0
    }

    /// What the context cache has done since the engine started.
    public var contextCacheStatistics: ContextCacheStatistics { contexts.statistics }

    /// Forgets every context built so far. The engine calls it for every change it applies; a
    /// caller that writes users or posts to the store itself calls it after the commit, so the
    /// next context reads the write (the profile feed would bring it within a poll interval).
    public func invalidateContexts() { contexts.invalidateAll() }

    /// Reads the profile change feed (users and posts written by any process) and empties the
    /// context cache when it names a write not seen before.
    func followProfileChanges() async throws(ProfileStoreError) {
        let watermark = profileFeed.read { $0.watermark }
        let changes = try await store.profileChanges(since: watermark)
        let seen = profileFeed.read { $0.stamps }
        let fresh = changes.stamps.contains { seen[$0.key] != $0.value }
        profileFeed.write { $0 = (max($0.watermark, changes.watermark), changes.stamps) }
        if fresh { invalidateContexts() }
    }
}

internal import Synchronization

/// Contexts built lately, served again while nothing they were built from can have changed.
///
/// A context reads nearly everything the engine holds (the creator's profile, every creator's
/// embedding through the search, the posts and their corpus statistics through the brief, the
/// active run), so the cache has one generation: any change the engine learns of (its change
/// feeds, a run switch, a write through the engine or the service) starts the next one and
/// empties it. A context is kept only if its generation was still current when it was built
/// (the one it started in, read before any of its reads), so nothing read before a change
/// is served after it. Writes by other processes reach it with the feeds, within a poll interval,
/// as they reach searches.
final class ContextCache: Sendable {
    /// A creator and the options asked for.
    struct Key: Hashable, Sendable {
        var userID: Int64
        var options: PersonalizationEngine.ContextOptions
    }

    private struct State {
        var entries: [Key: (context: PersonalizationContext, bytes: Int)] = [:]
        var statistics = PersonalizationEngine.ContextCacheStatistics()
    }

    /// The most bytes the contexts may take (about: twice their JSON); 0 turns the cache off.
    let budget: Int
    private let state = Mutex(State())

    init(budget: Int) { self.budget = budget }

    /// The current generation: read before building a context, given back to ``insert(_:for:builtIn:)``.
    var generation: UInt64 { state.withLock { $0.statistics.generation } }

    var statistics: PersonalizationEngine.ContextCacheStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.entries = state.entries.count
            return statistics
        }
    }

    /// The context kept for `key`, counting a hit or a miss; nil when the cache is off.
    func context(for key: Key) -> PersonalizationContext? {
        guard budget > 0 else { return nil }
        return state.withLock { state in
            let found = state.entries[key]?.context
            if found == nil { state.statistics.misses += 1 } else { state.statistics.hits += 1 }
            return found
        }
    }

    /// Keeps `context` for `key` when `generation` is still current; past the budget, drops
    /// contexts (in no particular order) until a quarter of it is free.
    func insert(_ context: PersonalizationContext, for key: Key, builtIn generation: UInt64) {
        guard budget > 0 else { return }
        // The JSON's size (the trimmed estimate) stands for the strings; the structs double it.
        let bytes = 2 * 4 * context.budget.estimatedTokens + 512
        guard bytes <= budget / 4 else { return }
        state.withLock { state in
            guard state.statistics.generation == generation else { return }
            if let replaced = state.entries.updateValue((context, bytes), forKey: key) { state.statistics.bytes -= replaced.bytes }
            state.statistics.bytes += bytes
            if state.statistics.bytes > budget {
                var excess = state.statistics.bytes - budget * 3 / 4
                var dropped: [Key] = []
                for (key, entry) in state.entries where excess > 0 {
                    dropped.append(key)
                    excess -= entry.bytes
                }
                for key in dropped { state.statistics.bytes -= state.entries.removeValue(forKey: key)?.bytes ?? 0 }
            }
        }
    }

    /// Starts a new generation: every context kept, or being built, is not served.
    func invalidateAll() {
        state.withLock { state in
            state.statistics.generation += 1
            state.entries.removeAll()
            state.statistics.bytes = 0
        }
    }
}

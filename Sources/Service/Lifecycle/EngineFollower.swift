internal import Logging
internal import Personalization
internal import ServiceLifecycle

/// The engine's change-feed follower as a service: it stops when the service shuts down, and
/// then writes the engine's snapshot (when one is configured), so the next start reads it and
/// catches up instead of reading the store in full.
struct EngineFollower: Service {
    let engine: PersonalizationEngine
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await engine.follow() }
        guard engine.configuration.snapshotDirectory != nil else { return }
        do { try await engine.saveSnapshot() } catch { logger.warning("engine snapshot not written at shutdown: \(error.message)") }
    }
}

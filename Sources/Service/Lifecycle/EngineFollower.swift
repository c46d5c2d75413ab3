internal import Personalization
internal import ServiceLifecycle

/// The engine's change-feed follower as a service: it stops when the service shuts down.
struct EngineFollower: Service {
    let engine: PersonalizationEngine

    func run() async throws {
        await cancelWhenGracefulShutdown { await engine.follow() }
    }
}

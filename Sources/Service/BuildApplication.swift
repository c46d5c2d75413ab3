public import Hummingbird
internal import HummingbirdCore
internal import Logging
internal import Personalization
internal import ProfileStore
internal import ServiceLifecycle

/// The service as one Hummingbird application: the store connected and migrated, the engine
/// started, the routes, and the engine's change-feed follower and the job runner as services
/// beside the HTTP server. `onering serve`, `onering demo` and the tests all build it here.
///
/// Run it with `runService()`: SIGINT and SIGTERM shut it down gracefully (requests in flight
/// finish, a running job finishes, the follower stops).
///
/// - Throws: ``ServiceError`` when authentication is disabled on a non-loopback bind, when
///   the key set cannot be loaded, or when the store or engine cannot start.
public func buildApplication(configuration: ServiceConfiguration) async throws(ServiceError) -> some ApplicationProtocol {
    let logger = configuration.logger
    if configuration.auth.disabled {
        guard ServiceConfiguration.isLoopback(configuration.host) else {
            throw ServiceError(.invalidInput, .badRequest, "authentication may be disabled only on a loopback bind, not on \(configuration.host)")
        }
        logger.warning("authentication is DISABLED: every request acts as an administrator (loopback bind \(configuration.host) only)")
    }
    let authenticator = Authenticator(configuration: configuration.auth)
    try await authenticator.load()
    let store: ProfileStore
    let engine: PersonalizationEngine
    do {
        store = try await ProfileStore.connect(configuration.store, logger: logger)
        try await store.migrate()
        engine = try await PersonalizationEngine.start(store: store, embedder: configuration.embedder, configuration: configuration.engine, logger: logger)
    } catch let error as ProfileStoreError {
        throw ServiceError.from(error)
    } catch let error as PersonalizationError {
        throw ServiceError.from(error)
    } catch {
        throw ServiceError(.internalError, .internalServerError, "\(error)")
    }
    let metrics = ServiceMetrics()
    let service = try OneRingService(configuration: configuration, store: store, engine: engine, authenticator: authenticator, metrics: metrics)

    let router = Router(context: OneRingRequestContext.self)
    router.addMiddleware { ServiceMiddleware(metrics: metrics, routes: service.routes, logger: logger) }
    // Open to anyone: health, metrics, the OpenAPI document, and the dashboard (its own sign-in).
    service.addHealthRoutes(to: router)
    service.addDashboardRoutes(to: router)
    // Everything else authenticates first, before any handler reads a body or does work.
    let authenticated = router.group().add(middleware: AuthenticationMiddleware(authenticator: authenticator))
    service.addUserRoutes(to: authenticated)
    service.addSearchRoutes(to: authenticated)
    service.addPostSearchRoutes(to: authenticated)
    service.addCohortRoutes(to: authenticated)
    service.addGenerateRoutes(to: authenticated)
    service.addGenerationRoutes(to: authenticated)

    var services: [any ServiceLifecycle.Service] = [EngineFollower(engine: engine, logger: logger)]
    if configuration.runsJobs {
        services.append(JobRunnerService(runner: JobRunner(store: store, embedder: configuration.embedder, configuration: configuration.jobs, logger: logger)))
        services.append(GenerationRunnerService(runner: service.generationRunner))
    }
    let maximumConnections = configuration.effectiveMaximumConnections
    logger.info("serving at most \(maximumConnections) connections; idle ones close after \(configuration.idleTimeout)")
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .nanoseconds(configuration.idleTimeout.nanoseconds))),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "onering",
            availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: logger)),
        services: services,
        onServerRunning: { channel in await configuration.onListening?(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

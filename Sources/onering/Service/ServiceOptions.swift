import ArgumentParser
import Foundation
import Logging
import Personalization
import Service
import Writer

/// What `serve` and `demo` share: the bind, authentication, the generation limit and the writer.
struct ServiceOptions: ParsableArguments {
    @OptionGroup var engine: EngineOptions

    @Option(help: "The address to bind.") var host = "127.0.0.1"
    @Option(help: "The port to listen on.") var port = 8080
    @Flag(name: .customLong("no-auth"), help: "No authentication: every request acts as an administrator (loopback binds only).")
    var noAuth = false
    @Option(name: .customLong("jwks-file"), help: "A JSON Web Key Set file that signs session tokens.") var jwksFile: String?
    @Option(name: .customLong("jwks-url"), help: "A JSON Web Key Set URL (Clerk: https://<frontend api>/.well-known/jwks.json).")
    var jwksURL: String?
    @Option(help: "The session tokens' issuer (iss); required with --jwks-file or --jwks-url.") var issuer: String?
    @Option(name: .customLong("authorized-party"), help: "An accepted azp (the web app's origin); repeatable.")
    var authorizedParties: [String] = []
    @Option(name: .customLong("service-keys"), help: "A JSON file of service keys: [{\"name\", \"scopes\", \"sha256\"}].")
    var serviceKeys: String?
    @Option(name: .customLong("generation-limit"), help: "Generations per creator per window.") var generationLimit = 5
    @Option(name: .customLong("generation-window"), help: "The generation limit's window, in seconds.") var generationWindow = 900
    @Option(name: .customLong("concurrent-generations"), help: "Generations streaming at once per creator (429 beyond).")
    var concurrentGenerations = 2
    @Option(name: .customLong("max-generations"), help: "Generations streaming at once in all (503 beyond).") var maximumGenerations = 32
    @Option(name: .customLong("embedder-limit"), help: "Text searches and forced refreshes per caller per minute.") var embedderLimit = 30
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may send nothing before it is closed.") var idleTimeout = 15
    @Option(name: .customLong("max-connections"), help: "Connections open at once (lowered to keep file descriptors for the store).")
    var maximumConnections = 4_096
    @Option(name: .customLong("max-search-batch"), help: "Concurrent exact searches answered by one GEMM (1: no coalescing).")
    var maximumSearchBatch = 64
    @Flag(name: .customLong("no-jobs"), help: "Run no queued jobs in this process.") var noJobs = false
    @Option(
        name: .customLong("context-cache-mib"),
        help: "About the most memory contexts built lately take, served again until anything they read changes (0: off).")
    var contextCacheMiB = 256
    @Option(
        name: .customLong("snapshot-dir"),
        help: "Where the engine keeps its snapshot (default: .onering/snapshots/SCHEMA, or /var/lib/onering/snapshots/SCHEMA as root).")
    var snapshotDirectory: String?
    @Flag(name: .customLong("no-snapshot"), help: "Start by reading the store in full, and write no engine snapshot.") var noSnapshot = false
    @Option(name: .customLong("llm"), help: "offline, groq or openai (default: groq when GROQ_API_KEY is set, else offline).")
    var llm: Generate.ProviderChoice?

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard generationLimit > 0, generationWindow > 0 else { throw ValidationError("--generation-limit and --generation-window must be positive") }
        guard (1...1_024).contains(maximumSearchBatch) else { throw ValidationError("--max-search-batch must be in 1…1024") }
        guard (1...1_000).contains(concurrentGenerations), (1...10_000).contains(maximumGenerations), concurrentGenerations <= maximumGenerations else {
            throw ValidationError("--concurrent-generations must be in 1…1000 and at most --max-generations (1…10000)")
        }
        guard (1...100_000).contains(embedderLimit) else { throw ValidationError("--embedder-limit must be in 1…100000") }
        guard (0...65_536).contains(contextCacheMiB) else { throw ValidationError("--context-cache-mib must be in 0…65536") }
        guard (1...3_600).contains(idleTimeout), (16...1_000_000).contains(maximumConnections) else {
            throw ValidationError("--idle-timeout must be in 1…3600 s and --max-connections in 16…1000000")
        }
        guard !(jwksFile != nil && jwksURL != nil) else { throw ValidationError("give --jwks-file or --jwks-url, not both") }
        if (jwksFile != nil || jwksURL != nil) && issuer == nil { throw ValidationError("--issuer is required with a JWKS") }
        if noAuth && !ServiceConfiguration.isLoopback(host) {
            throw ValidationError("--no-auth is allowed only on a loopback bind (127.0.0.1, ::1, localhost), not \(host)")
        }
    }

    /// Where the engine's snapshot goes: `--snapshot-dir`, else one folder per schema; nil with `--no-snapshot`.
    var engineSnapshotDirectory: String? {
        if noSnapshot { return nil }
        return snapshotDirectory ?? engine.store.defaultSnapshotDirectory
    }

    /// Where the development issuer keeps its key (and its public JWKS).
    static let developmentKeyFolder = ".onering/auth"

    /// The authentication: none, the given JWKS, or on a loopback bind without one, the
    /// development issuer (its tokens from `onering token`).
    func auth() throws -> (configuration: AuthConfiguration, development: DevelopmentIssuer?) {
        if noAuth { return (.disabledOnLoopback, nil) }
        let keys = try serviceKeys.map { try ServiceKey.load(path: $0) } ?? []
        if let source = jwksFile.map(AuthConfiguration.KeySetSource.file) ?? jwksURL.map(AuthConfiguration.KeySetSource.url) {
            return (
                AuthConfiguration(
                    sessionTokens: .init(keySet: source, issuer: issuer!, authorizedParties: Set(authorizedParties)),
                    serviceKeys: keys), nil
            )
        }
        guard ServiceConfiguration.isLoopback(host) else {
            throw ValidationError("a non-loopback bind needs --jwks-file or --jwks-url and --issuer (or --service-keys)")
        }
        let issuer = try DevelopmentIssuer.stored(in: Self.developmentKeyFolder)
        let source = AuthConfiguration.KeySetSource.file(issuer.keySetPath(in: Self.developmentKeyFolder))
        return (AuthConfiguration(sessionTokens: issuer.sessionTokens(keySet: source), serviceKeys: keys), issuer)
    }

    /// The service's configuration.
    func configuration(auth: AuthConfiguration) async throws -> ServiceConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let writer = Generate.ProviderChoice.resolved(llm).configuration().map(ServiceConfiguration.WriterProvider.openAICompatible) ?? .offline
        var logger = Logger(label: "onering.service", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let store = engine.store
        var configuration = ServiceConfiguration(
            host: host, port: port,
            store: .init(connectionString: try await store.connectionString(), schema: store.schema, dimensions: store.dimensions, maximumConnections: 8),
            embedder: try engine.embedding.embedder(dimensions: store.dimensions),
            engine: .init(maximumSearchBatch: maximumSearchBatch, snapshotDirectory: engineSnapshotDirectory, contextCacheBytes: contextCacheMiB << 20),
            auth: auth,
            generationLimit: .init(count: generationLimit, window: .seconds(generationWindow)),
            writer: writer, runsJobs: !noJobs, logger: logger
        )
        configuration.concurrentGenerations = (maximumGenerations, concurrentGenerations)
        configuration.embedderLimit = .init(count: embedderLimit, window: .seconds(60))
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.maximumConnections = maximumConnections
        return configuration
    }
}

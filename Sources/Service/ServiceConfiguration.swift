public import Embedding
internal import Foundation
public import Generation
internal import Glibc
public import Logging
public import Personalization
public import ProfileStore
public import Writer

/// Everything ``buildApplication(configuration:)`` needs: where to listen, the store, the
/// engine, who may call, the generation limit and the LLM provider.
public struct ServiceConfiguration: Sendable {
    /// Which LLM writes the posts.
    public enum WriterProvider: Sendable {
        /// The offline drafter: no network, written from the context.
        case offline
        /// Groq or any OpenAI-compatible chat API.
        case openAICompatible(OpenAICompatibleProvider.Configuration)
    }

    /// At most `count` generations per creator in any `window`.
    public struct RateLimit: Sendable, Equatable {
        public var count: Int
        public var window: Duration

        /// The platform's posting limit: 5 per 15 minutes.
        public static let platformDefault = RateLimit(count: 5, window: .seconds(15 * 60))

        public init(count: Int, window: Duration) {
            self.count = count
            self.window = window
        }
    }

    /// The address to bind. Default 127.0.0.1.
    public var host: String
    /// The port; 0 picks a free one. Default 8080.
    public var port: Int
    /// The store's connection and schema.
    public var store: ProfileStore.Configuration
    /// Embeds profiles and search texts.
    public var embedder: any Embedder
    /// The engine's tuning (its `maximumSearchBatch` turns search coalescing on or off).
    public var engine: PersonalizationEngine.Configuration
    /// Who may call.
    public var auth: AuthConfiguration
    /// The generation limit per creator. Default 5 per 15 minutes.
    public var generationLimit: RateLimit
    /// Generations streaming at once, in all and per creator; beyond them 503 and 429, with
    /// `Retry-After`. Default 32 and 2.
    public var concurrentGenerations: (overall: Int, perCreator: Int) = (32, 2)
    /// Paid embedder calls a caller may cause (text searches, forced refreshes). Default 30 a minute.
    public var embedderLimit = RateLimit(count: 30, window: .seconds(60))
    /// The largest request body, in bytes; larger ones get 413. Default 1 MiB.
    public var maximumBodyBytes: Int
    /// Which LLM writes the posts. Default offline.
    public var writer: WriterProvider
    /// A generation stream that has written nothing for this long writes an SSE comment
    /// (`: keep-alive`), so a client that left is noticed, and the provider's request
    /// cancelled, even while the provider is silent. Default 5 s.
    public var streamKeepAlive: Duration = .seconds(5)
    /// A connection that sends nothing for this long is closed: half a header, half a body, or an
    /// idle keep-alive connection (a streaming response is not idle). Default 15 s.
    public var idleTimeout: Duration = .seconds(15)
    /// The most connections open at once; further ones wait in the listen backlog. Lowered at
    /// start so that ``reservedFileDescriptors`` stay free under the process's file limit. Default 4,096.
    public var maximumConnections = 4_096
    /// File descriptors kept free for the store's connections, the job runner's lock sessions,
    /// the provider's transfers and files. Default 512.
    public var reservedFileDescriptors = 512
    /// Whether this process runs queued jobs (cohort rebuilds, backfills). Default true.
    public var runsJobs: Bool
    /// How the job runner polls and beats. Default: `JobRunner.Configuration()`.
    public var jobs: JobRunner.Configuration
    /// How generation jobs run (their runner runs when ``runsJobs`` is on) and how a failed
    /// provider call is retried, streamed or not.
    public var generations: Generations = .init()

    /// How generations run.
    public struct Generations: Sendable {
        public var runner: GenerationRunner.Configuration
        public var retry: RetryPolicy

        public init(runner: GenerationRunner.Configuration = .init(), retry: RetryPolicy = GenerationPipeline.defaultRetry) {
            self.runner = runner
            self.retry = retry
        }
    }
    /// The service's logger.
    public var logger: Logger
    /// Called once the server listens, with its port (the one picked when `port` is 0).
    public var onListening: (@Sendable (_ port: Int) async -> Void)?

    /// A configuration with the defaults above.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, store: ProfileStore.Configuration, embedder: any Embedder,
        engine: PersonalizationEngine.Configuration = .init(), auth: AuthConfiguration,
        generationLimit: RateLimit = .platformDefault, maximumBodyBytes: Int = 1 << 20, writer: WriterProvider = .offline,
        runsJobs: Bool = true, jobs: JobRunner.Configuration = .init(), logger: Logger = Logger(label: "onering.service")
    ) {
        self.host = host
        self.port = port
        self.store = store
        self.embedder = embedder
        self.engine = engine
        self.auth = auth
        self.generationLimit = generationLimit
        self.maximumBodyBytes = maximumBodyBytes
        self.writer = writer
        self.runsJobs = runsJobs
        self.jobs = jobs
        self.logger = logger
    }

    /// ``maximumConnections``, lowered to the process's open-file limit less ``reservedFileDescriptors``.
    public var effectiveMaximumConnections: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else { return maximumConnections }
        return max(16, min(maximumConnections, Int(limit.rlim_cur) - reservedFileDescriptors))
    }

    /// Whether `host` is a loopback address (the only binds that may run without authentication):
    /// `localhost`, `::1` (or its long forms), or a dotted IPv4 address in 127.0.0.0/8. A name
    /// such as `127.example.com` is not: it is parsed as an address, not matched as text.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 { return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127 }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), &ipv6) == 1 {
            return withUnsafeBytes(of: ipv6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) }
        }
        return false
    }
}

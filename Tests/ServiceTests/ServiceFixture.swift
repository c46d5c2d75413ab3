import Embedding
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Personalization
import ProfileStore
import SampleData
import Service
import ServiceLifecycle
import _TestSupport

/// A store in a schema of its own with generated, embedded creators (and a cohort run), the
/// development issuer's key set in a temporary folder, and two service keys.
struct ServiceFixture: Sendable {
    static let dimensions = 64
    /// One RSA key for every test (making one takes a while).
    static let issuer: DevelopmentIssuer = try! DevelopmentIssuer.generate(keyID: "test-key")
    /// A second issuer signing with the same `kid`: its tokens are forgeries.
    static let forger: DevelopmentIssuer = try! DevelopmentIssuer.generate(keyID: "test-key")

    let store: ProfileStore
    let creators: [CreatorGenerator.Creator]
    let folder: String
    /// Service keys: the writer agent's (read, generate) and a read-only one.
    let writerKey: (secret: String, key: ServiceKey)
    let readerKey: (secret: String, key: ServiceKey)

    var keySetPath: String { folder + "/jwks.json" }

    static func make(creators count: Int, cohorts: Int?, embedPosts: Bool = false) async throws -> ServiceFixture {
        let store = try await TestDatabase.store(dimensions: dimensions)
        let creators = CreatorGenerator(configuration: .init(creators: count, postsPerCreator: 6...10)).generate()
        _ = try await store.importUsers(creators.map { Numbered(line: Int($0.user.id), record: $0.user) })
        _ = try await store.importPosts(creators.flatMap(\.posts).map { Numbered(line: 1, record: $0) })
        let embedder = try HashingEmbedder(configuration: .init(dimensions: dimensions))
        try await EmbeddingBackfill(store: store, embedder: embedder).run()
        if embedPosts { try await PostEmbeddingBackfill(store: store, embedder: embedder).run() }
        if let cohorts { _ = try await CohortRebuild(store: store, parameters: .init(k: .fixed(cohorts))).run() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onering-service-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(issuer.keySetJSON.utf8).write(to: URL(fileURLWithPath: folder + "/jwks.json"))
        return ServiceFixture(
            store: store, creators: creators, folder: folder,
            writerKey: ServiceKey.generate(name: "writer-agent", scopes: [.read, .generate]),
            readerKey: ServiceKey.generate(name: "analytics", scopes: [.read]))
    }

    /// Runs `body` with a fixture (its posts embedded too with `embedPosts`), and drops its schema
    /// and folder afterwards whether `body` threw or not.
    static func with(
        creators count: Int = 40, cohorts: Int? = 4, embedPosts: Bool = false, _ body: (ServiceFixture) async throws -> Void
    ) async throws {
        let fixture = try await make(creators: count, cohorts: cohorts, embedPosts: embedPosts)
        defer { try? FileManager.default.removeItem(atPath: fixture.folder) }
        try await TestDatabase.dropping(fixture.store) { try await body(fixture) }
    }

    /// The service's configuration on this fixture's store, with its keys; `change` adjusts it.
    func configuration(_ change: (inout ServiceConfiguration) -> Void = { _ in }) throws -> ServiceConfiguration {
        var logger = Logger(label: "test.service", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        var sessionTokens = Self.issuer.sessionTokens(keySet: .file(keySetPath))
        sessionTokens.minimumRefreshInterval = .zero
        var configuration = ServiceConfiguration(
            port: 0, store: store.configuration, embedder: try HashingEmbedder(configuration: .init(dimensions: Self.dimensions)),
            engine: .init(pollInterval: .milliseconds(50)),
            auth: AuthConfiguration(sessionTokens: sessionTokens, serviceKeys: [writerKey.key, readerKey.key]),
            jobs: .init(pollInterval: .milliseconds(100)), logger: logger
        )
        // The test client keeps one connection between its requests; on two cores busy with the
        // whole suite a test has paused for longer than the 15 s a real client gets (the tests of
        // the idle timeout set their own).
        configuration.idleTimeout = .seconds(120)
        change(&configuration)
        return configuration
    }

    /// A session token of `userID` from the test issuer.
    func token(_ userID: Int64, admin: Bool = false, overrides: [String: SessionClaims.Value] = [:]) async throws -> String {
        try await Self.issuer.token(userID: userID, admin: admin, overrides: overrides)
    }

    /// Runs `body` against the live application built from `configuration`.
    func withApplication(_ configuration: ServiceConfiguration? = nil, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let application = try await buildApplication(configuration: configuration ?? self.configuration())
        try await application.test(.live) { client in try await body(client) }
    }

    /// Serves the application built from this fixture's configuration (`change` adjusts it) in a
    /// service group of its own on a free loopback port, calls `body` with the port and the group,
    /// and shuts the service down gracefully afterwards, whether `body` threw or not: for tests
    /// that need raw connections (half-sent requests, clients that leave) or several at once.
    func withServer(
        _ change: (inout ServiceConfiguration) -> Void = { _ in }, _ body: (_ port: Int, _ group: ServiceGroup) async throws -> Void
    ) async throws {
        let listening = Listening()
        let application = try await buildApplication(
            configuration: try configuration {
                change(&$0)
                $0.onListening = { await listening.record($0) }
            })
        let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        async let running: Void = group.run()
        do {
            try await body(await listening.port(), group)
        } catch {
            await group.triggerGracefulShutdown()
            try? await running
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running
    }

    /// The port a server reports once it listens.
    actor Listening {
        private var value: Int?
        private var waiting: [CheckedContinuation<Int, Never>] = []

        func record(_ port: Int) {
            value = port
            for continuation in waiting { continuation.resume(returning: port) }
            waiting = []
        }

        func port() async -> Int {
            if let value { return value }
            return await withCheckedContinuation { waiting.append($0) }
        }
    }

    var firstUser: Int64 { creators[0].user.id }
    var secondUser: Int64 { creators[1].user.id }
}

extension TestClientProtocol {
    /// Sends `body` (JSON text) with `token` as the bearer.
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json body: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { body.getString(at: body.readerIndex, length: body.readableBytes) ?? "" }

    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }

    /// The error code of a JSON error body.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
}

/// The events of a server-sent event stream, in order.
func serverSentEvents(_ text: String) -> [(name: String, data: [String: Any])] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var name = "message", data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data += line.dropFirst(6) }
        }
        guard !data.isEmpty else { return nil }
        return (name, (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:])
    }
}

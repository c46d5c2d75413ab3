import ArgumentParser
import Embedding
import Foundation
import Hummingbird
import Logging
import Personalization
import ProfileStore
import Service

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension EngineBench {
    /// The context, exact and partitioned, through HTTP: the service on a free loopback port
    /// (authentication off, as `serve --no-auth`), its engine started from the snapshot, one
    /// client connection, one request after another for each of `users`.
    func httpContexts(users: [Int64], nprobe: Int, store: ProfileStore, embedder: any Embedder, snapshotDirectory: String) async throws {
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "onering.bench.http", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        var storeConfiguration = store.configuration
        storeConfiguration.maximumConnections = 8
        var configuration = ServiceConfiguration(
            host: "127.0.0.1", port: 0, store: storeConfiguration, embedder: embedder, engine: .init(snapshotDirectory: snapshotDirectory),
            auth: .disabledOnLoopback, runsJobs: false, logger: logger)
        configuration.onListening = { port in
            listening.yield(port)
            listening.finish()
        }
        let started = now()
        let application = try await buildApplication(configuration: configuration)
        let server = Task { try await application.runService(gracefulShutdownSignals: []) }
        var waiting = ports.makeAsyncIterator()
        guard let port = await waiting.next() else {
            server.cancel()
            throw ValidationError("the service did not start listening")
        }
        print("service ready through HTTP in \((now() - started).fixed(2)) s (its engine from the snapshot, caught up with the writes above)")
        let session = URLSession(
            configuration: {
                let configuration = URLSessionConfiguration.ephemeral
                configuration.httpMaximumConnectionsPerHost = 1
                return configuration
            }())
        for (name, query) in [("exact", "k=10"), ("partitioned nprobe \(nprobe)", "k=10&nprobe=\(nprobe)")] {
            var seconds: [Double] = []
            for user in users {
                let url = URL(string: "http://127.0.0.1:\(port)/v1/users/\(user)/context?\(query)")!
                let begun = now()
                let (_, response) = try await session.data(from: url)
                seconds.append(now() - begun)
                guard let status = (response as? HTTPURLResponse)?.statusCode, status == 200 else {
                    server.cancel()
                    throw ValidationError("the context of creator \(user) answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
                }
            }
            let latencies = Latencies(seconds)
            print("context \(name) through HTTP (one connection, auth off): p50 \(ms(latencies, 50)) ms, p99 \(ms(latencies, 99)) ms over \(users.count)")
        }
        session.invalidateAndCancel()
        server.cancel()
        _ = await server.result
    }
}

import ArgumentParser
import Foundation
import Hummingbird
import Personalization
import ProfileStore
import Service

/// `onering demo`: the README's first command. From a fresh clone it starts the embedded
/// database, imports `data/`, embeds, builds cohorts, serves on 127.0.0.1:8080 and prints
/// curl commands with development tokens; a second run reuses all of it.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up the sample creators (import, embed, cohorts) once, then serve them with ready-to-paste curl commands."
    )

    @OptionGroup var service: ServiceOptions
    @Option(help: "The folder of users.jsonl and posts.jsonl(.gz).") var data = "data"
    @Option(help: "The creator the printed commands act for.") var user: Int64 = 4

    func run() async throws {
        let store = try await service.engine.store.openStore()
        let started = Date()
        try await importIfNeeded(into: store)
        try await embedIfNeeded(store)
        try await embedPostsIfNeeded(store)
        if try await store.activeCohortRunID() == nil {
            print("== cohorts: none yet, rebuilding with k chosen by silhouette")
            let rebuild = try CohortsRebuild.parse(["-k", "auto"] + storeArguments)
            try await rebuild.run()
        } else {
            print("== cohorts: run \(try await store.activeCohortRunID()!) is active, reused")
        }
        print("set-up done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

        let (auth, development) = try service.auth()
        let configuration = try await service.configuration(auth: auth)
        let application = try await buildApplication(configuration: configuration)
        try await printCommands(configuration: configuration, issuer: development)
        try await application.runService()
    }

    /// The store options again, for the commands the demo runs.
    private var storeArguments: [String] {
        var arguments = [
            "--schema", service.engine.store.schema, "--dimensions", String(service.engine.store.dimensions),
            "--pg-port", String(service.engine.store.embedded.port),
        ]
        if let dataDirectory = service.engine.store.embedded.dataDirectory { arguments += ["--data-dir", dataDirectory] }
        return arguments
    }

    private func importIfNeeded(into store: ProfileStore) async throws {
        let users = data + "/users.jsonl", posts = data + "/posts.jsonl"
        if !FileManager.default.fileExists(atPath: posts), FileManager.default.fileExists(atPath: posts + ".gz") {
            print("== unpacking \(posts).gz")
            let gunzip = Process()
            gunzip.executableURL = URL(fileURLWithPath: "/bin/gunzip")
            gunzip.arguments = ["-k", posts + ".gz"]
            try gunzip.run()
            gunzip.waitUntilExit()
            guard gunzip.terminationStatus == 0 else { throw ValidationError("gunzip -k \(posts).gz failed") }
        }
        let counts = try await store.tableCounts()
        let (userLines, postLines) = (try Self.lines(users), try Self.lines(posts))
        if counts.users == userLines, counts.posts == postLines {
            print("== import: \(counts.users) creators and \(counts.posts) posts already stored, reused")
            return
        }
        print("== import: \(users), \(posts)")
        let command = try Import.parse(["--users", users, "--posts", posts] + storeArguments)
        try await command.run()
    }

    private func embedIfNeeded(_ store: ProfileStore) async throws {
        let counts = try await store.tableCounts()
        if counts.embeddings == counts.users {
            print("== embed: all \(counts.embeddings) creators have embeddings, reused")
            return
        }
        print("== embed: \(counts.users - counts.embeddings) creators without an embedding")
        let command = try Embed.parse(storeArguments)
        try await command.run()
    }

    /// Embeds the posts (for brief-aware contexts and post search) unless every one is current.
    private func embedPostsIfNeeded(_ store: ProfileStore) async throws {
        let model = try EmbedderOptions.parse([]).embedder(dimensions: store.configuration.dimensions).modelID
        let counts = try await store.postEmbeddingCounts(model: model)
        if counts.embedded == counts.posts {
            print("== embed --posts: all \(counts.posts) posts have embeddings, reused")
            return
        }
        print("== embed --posts: \(counts.posts - counts.embedded) posts without an embedding")
        try await Embed.parse(storeArguments + ["--posts"]).run()
    }

    /// The number of lines of a file.
    private static func lines(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
        defer { try? handle.close() }
        var count = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { count += chunk.count { $0 == UInt8(ascii: "\n") } }
        return count
    }

    private func printCommands(configuration: ServiceConfiguration, issuer: DevelopmentIssuer?) async throws {
        let base = "http://\(configuration.host):\(configuration.port)"
        var setup = "", header = "", adminHeader = "", dashboard = "# the dashboard (open in a browser), metrics, the OpenAPI document\n" + base + "/dashboard"
        if let issuer {
            let token = try await issuer.token(userID: user, lifetime: 12 * 3_600)
            let adminToken = try await issuer.token(userID: user, admin: true, lifetime: 12 * 3_600)
            setup = """
                # development tokens (valid 12 hours): creator \(user), and creator \(user) as an administrator
                TOKEN=\(token)
                ADMIN=\(adminToken)\n\n
                """
            header = " -H \"Authorization: Bearer $TOKEN\""
            adminHeader = " -H \"Authorization: Bearer $ADMIN\""
            dashboard =
                "# the dashboard: open it in a browser and sign in with the $ADMIN token above; metrics; the OpenAPI document\n"
                + base + "/dashboard"
        }
        print(
            """

            Serving on \(base). Paste these into another terminal (Ctrl-C here stops the service):

            \(setup)
            # the personalization context of creator \(user), its exemplars answering a brief (docs/CONTEXT.md)
            curl -s\(header) '\(base)/v1/users/\(user)/context?k=5&budget=1200&brief=my%20recovery%20weeks%20between%20marathon%20blocks'

            # posts that best match a text (embedding and BM25)
            curl -s\(header) -H 'Content-Type: application/json' \\
                 -d '{"text": "VO2 max intervals", "k": 5}' '\(base)/v1/search/posts'

            # a draft's predicted engagement against the creator's typical post (docs/STRATEGY.md)
            curl -s\(header) -H 'Content-Type: application/json' \\
                 -d '{"text": "Recovery weeks are training too. What would you add?", "platform": "x"}' '\(base)/v1/users/\(user)/score'

            # creators similar to a text, cohort-partitioned over 3 cohorts
            curl -s\(header) -H 'Content-Type: application/json' \\
                 -d '{"text": "marathon training and recovery", "k": 5, "mode": "partitioned", "nprobe": 3}' '\(base)/v1/search'

            # three variants for X, streamed as server-sent events (step and token events, then done: ranked)
            curl -sN\(header) -H 'Content-Type: application/json' \\
                 -d '{"user_id": \(user), "platform": "x", "brief": "my recovery weeks between marathon blocks", "variants": 3}' '\(base)/v1/generate/content'

            # the same as a durable job: 202 with its Location; then that job (here 1: its steps, ranked variants, trace_id) and a trace
            curl -s\(header) -H 'Content-Type: application/json' \\
                 -d '{"user_id": \(user), "platform": "instagram", "variants": 3, "time_zone": "Europe/Berlin"}' '\(base)/v1/generations'
            curl -s\(header) '\(base)/v1/generations/1'
            curl -s\(header) '\(base)/v1/traces/1'

            # cohorts, and a rebuild as a job (admin)
            curl -s\(header) '\(base)/v1/cohorts'
            curl -s\(adminHeader) -H 'Content-Type: application/json' -d '{"k": "auto"}' '\(base)/v1/cohorts/rebuild'

            \(dashboard)
            curl -s '\(base)/metrics' | grep onering_
            curl -s '\(base)/openapi.json'

            """)
    }
}

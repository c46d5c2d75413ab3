import ArgumentParser
import Embedding
import Foundation
import Personalization
import ProfileStore

/// `onering embed`: backfill profile embeddings into the store.
struct Embed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed profiles (or, with --posts, posts) whose embedding is missing or stale (or all), writing them to the store.",
        discussion:
            "Resumable: a profile or post whose text and model are unchanged is skipped, so a rerun continues where an interrupted one stopped. Posts are stored as compact codes with their lexical terms (docs/CONTEXT.md)."
    )

    @OptionGroup var store: StoreOptions
    @Flag(help: "Embed every profile, or only missing and stale ones (default).") var scope: Scope = .stale
    @OptionGroup var embedding: EmbedderOptions
    @Option(help: "Profiles per page (one transaction each); posts go five times as many per page.") var pageSize: Int = 1_000
    @Flag(help: "Embed posts (for brief-aware contexts and post search) instead of profiles.") var posts = false

    enum Scope: String, EnumerableFlag {
        case all, stale
    }

    func validate() throws {
        guard pageSize > 0 else { throw ValidationError("--page-size must be positive") }
    }

    func run() async throws {
        let embedder = try embedding.embedder(dimensions: store.dimensions)
        let profileStore = try await store.openStore()
        if posts { return try await embedPosts(profileStore, embedder: embedder) }
        let backfill = EmbeddingBackfill(
            store: profileStore, embedder: embedder,
            configuration: .init(pageSize: pageSize, everything: scope == .all)
        )
        let total = try await profileStore.pool.withConnection { connection throws(ProfileStoreError) in
            try connection.query("SELECT count(*) FROM users").int64(0, 0)
        }
        let started = now()
        let progressLine = ProgressLine(total: Int(total))
        let result = try await backfill.run { progress in
            progressLine.update(done: progress.profiles, detail: "\(progress.embedded) embedded, \(progress.current) current")
        }
        progressLine.finish()
        let seconds = now() - started
        print(
            "embed: \(result.profiles) profiles, \(result.embedded) embedded, \(result.current) already current, model \(embedder.modelID), \(seconds.fixed(1)) s, \((Double(result.embedded) / max(seconds, 1e-9)).fixed(0)) profiles/s"
        )
    }

    private func embedPosts(_ profileStore: ProfileStore, embedder: any Embedder) async throws {
        let backfill = PostEmbeddingBackfill(store: profileStore, embedder: embedder, pageSize: 5 * pageSize, everything: scope == .all)
        let total = try await profileStore.postEmbeddingCounts(model: embedder.modelID).posts
        let started = now()
        let progressLine = ProgressLine(total: total)
        let result = try await backfill.run { progress in
            progressLine.update(done: progress.posts, detail: "\(progress.embedded) embedded, \(progress.current) current")
        }
        progressLine.finish()
        let seconds = now() - started
        print(
            "embed --posts: \(result.posts) posts, \(result.embedded) embedded, \(result.current) already current, model \(embedder.modelID), \(seconds.fixed(1)) s, \((Double(result.embedded) / max(seconds, 1e-9)).fixed(0)) posts/s"
        )
    }
}

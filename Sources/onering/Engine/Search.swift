import ArgumentParser
import Embedding
import Foundation
import Personalization
import VectorMath

/// `onering search`: the creators most similar to a creator or to a text.
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the creators most similar to a creator (--user) or a text (--text); with --posts, the posts that best match a text.",
        discussion:
            "Exact by default; with --nprobe N only the N cohorts of the active run nearest to the query are scanned. Post search (after `onering embed --posts`) looks at the 3 cohorts nearest the text unless --nprobe, --cohort or --user (that creator's posts) says otherwise."
    )

    @OptionGroup var engine: EngineOptions
    @Option(help: "A creator's id.") var user: Int64?
    @Option(help: "A text, embedded like a bio.") var text: String?
    @Option(name: .short, help: "Creators to return (1…1000).") var k: Int = 10
    @Option(help: "Scan only the N nearest cohorts of the active run.") var nprobe: Int?
    @Option(help: "Only creators of this cohort of the active run.") var cohort: Int?
    @Flag(help: "Search posts by --text (scoped to --user's posts when given).") var posts = false

    func validate() throws {
        if posts {
            guard text != nil else { throw ValidationError("--posts searches by --text") }
            guard (1...100).contains(k) else { throw ValidationError("-k must be in 1...100 for posts") }
        } else {
            guard (user == nil) != (text == nil) else { throw ValidationError("give exactly one of --user and --text") }
        }
        guard (1...1_000).contains(k) else { throw ValidationError("-k must be in 1...1000") }
        if let nprobe, nprobe <= 0 { throw ValidationError("--nprobe must be positive") }
        if let text, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--text is empty") }
    }

    func run() async throws {
        let started = now()
        let engine = try await engine.startEngine()
        let loaded = now()
        if posts { return try await searchPosts(engine, loaded: loaded, started: started) }
        let hits: [Neighbor]
        if let user {
            if !engine.contains(user) { _ = try await engine.refreshEmbedding(userID: user) }
            hits = try engine.similarCreators(toUser: user, k: k, mode: searchMode(nprobe: nprobe), cohort: cohort)
        } else {
            let vector = try await engine.embedder.embed([ProfileDocument(name: "", bio: text!, posts: [])])
            hits = try engine.similarCreators(to: vector, k: k, mode: searchMode(nprobe: nprobe), cohort: cohort)
        }
        let searched = now()
        let handles = try await engine.store.handles(userIDs: hits.map(\.id))
        for (rank, hit) in hits.enumerated() {
            let cohortText = engine.cohort(of: hit.id).map { "  cohort \($0.cohort.id) · \($0.cohort.label)" } ?? ""
            print("\(rank + 1)\t\(hit.id)\t@\(handles[hit.id] ?? "?")\t\(Double(hit.score).fixed(4))\(cohortText)")
        }
        print(
            "search: \(hits.count) of \(engine.status.creators) creators, \(nprobe.map { "nprobe \($0)" } ?? "exact"), engine start \((loaded - started).fixed(2)) s, search \(((searched - loaded) * 1000).fixed(2)) ms"
        )
    }

    private func searchPosts(_ engine: PersonalizationEngine, loaded: Double, started: Double) async throws {
        let hits = try await engine.searchPosts(text: text, options: .init(k: k, userID: user, cohort: cohort, nprobe: nprobe ?? 3))
        let searched = now()
        let records = Dictionary(uniqueKeysWithValues: try await engine.store.posts(ids: hits.map(\.postID)).map { ($0.id, $0) })
        let handles = try await engine.store.handles(userIDs: Array(Set(hits.map(\.authorID))))
        for (rank, hit) in hits.enumerated() {
            let post = records[hit.postID]
            let topics = post.map { $0.topics.isEmpty ? "" : "  [\($0.topics.joined(separator: ", "))]" } ?? ""
            print(
                "\(rank + 1)\tpost \(hit.postID)\t@\(handles[hit.authorID] ?? "?")\t\(hit.score.fixed(3)) (brief \(hit.brief.fixed(3)), lexical \((hit.lexical ?? 0).fixed(3)))\t\(post?.text.replacingOccurrences(of: "\n", with: " ").prefix(80) ?? "")\(topics)"
            )
        }
        print(
            "search --posts: \(hits.count) of \(engine.postCount) posts, engine start \((loaded - started).fixed(2)) s, search \(((searched - loaded) * 1000).fixed(2)) ms"
        )
    }
}

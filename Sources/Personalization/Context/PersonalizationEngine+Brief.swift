internal import Embedding
internal import Foundation
internal import ProfileStore
internal import VectorMath

extension PersonalizationEngine {
    /// The longest brief a context or a post search takes, in characters.
    public static let maximumBriefLength = 2_000
    /// The most members of the creator's cohort (nearest first) whose posts a brief's candidates come from.
    static let maximumCohortAuthors = 1_000

    /// Candidate posts for a brief, read from memory and then from the store.
    struct BriefCandidates {
        var posts: [PostRecord]
        var matches: [Int64: BriefMatch]
        /// Each candidate author's similarity to the creator (1 for the creator).
        var authorScores: [Int64: Double]
    }

    /// A brief as a query: its embedding (by the engine's embedder) and its lexical terms;
    /// a brief seen lately comes from the cache without calling the embedder.
    func briefQuery(_ text: String) async throws(PersonalizationError) -> PostIndex.Query {
        if let cached = briefQueries.read({ $0[text] }) { return cached }
        let document = ProfileDocument(name: "", bio: "", posts: [.init(text: text, publishedAt: Date())], postLimit: 1)
        let query: PostIndex.Query
        do { query = PostIndex.Query(vector: try await embedder.embed([document]), terms: LexicalTerms.ofQuery(text)) } catch { throw .embedding(error) }
        briefQueries.write { cache in
            if cache.count >= Self.briefCacheSize { cache.removeAll(keepingCapacity: true) }
            cache[text] = query
        }
        return query
    }

    /// The posts that best answer `brief` among those of the similar creators, the creator's
    /// cohort (its ``maximumCohortAuthors`` members nearest the creator) and the creator (at most
    /// three of their own), published in `window`: scored in memory by brief match × author
    /// similarity × recency, the best `shortlist` read from the store.
    func briefCandidates(
        _ brief: String, userID: Int64, neighbors: [Neighbor], cohort: Cohort?, window: ClosedRange<Date>, shortlist: Int,
        halfLifeDays: Double
    ) async throws(PersonalizationError) -> BriefCandidates {
        let query = try await briefQuery(brief)
        var authorScores: [Int64: Double] = [userID: 1]
        for neighbor in neighbors { authorScores[neighbor.id] = Double(neighbor.score) }
        if let cohort, cohort.size > 1 {
            let members = try await nearestCreators(toUser: userID, k: min(cohort.size, Self.maximumCohortAuthors), cohort: cohort.id)
            for member in members where authorScores[member.id] == nil { authorScores[member.id] = Double(member.score) }
        }
        let hits = posts.read { $0.index.score(query, authors: authorScores.keys, window: window) }
        let bestSemantic = hits.map(\.semantic).max() ?? 0
        let bestLexical = hits.map(\.lexical).max() ?? 0
        let matches = hits.map { BriefMatch(semantic: $0.semantic, lexical: $0.lexical, bestSemantic: bestSemantic, bestLexical: bestLexical) }
        // Only posts that answer the brief about as well as the best do are eligible; the rest
        // of the score ranks among them (fewer than a shortlist's worth: the best matches).
        let bar = BriefMatch.eligibleShare * (matches.map(\.combined).max() ?? 0)
        let eligible = matches.count { $0.combined >= bar } >= shortlist / 4 ? bar : 0
        let scored = zip(hits, matches).compactMap { hit, match -> (hit: PostIndex.Hit, match: BriefMatch, score: Double)? in
            guard match.combined >= eligible else { return nil }
            let age = max(0, window.upperBound.timeIntervalSince(hit.publishedAt) / 86_400)
            return (hit, match, match.combined * max(0, authorScores[hit.authorID] ?? 0) * pow(0.5, age / halfLifeDays))
        }
        .filter { $0.score > 0 }
        .sorted { ($0.score, $1.hit.postID) > ($1.score, $0.hit.postID) }
        var kept: [(hit: PostIndex.Hit, match: BriefMatch, score: Double)] = []
        var own = 0
        for candidate in scored where kept.count < shortlist {
            if candidate.hit.authorID == userID {
                guard own < 3 else { continue }
                own += 1
            }
            kept.append(candidate)
        }
        let posts: [PostRecord]
        do { posts = try await store.posts(ids: kept.map(\.hit.postID)) } catch { throw .store(error) }
        return BriefCandidates(
            posts: posts, matches: Dictionary(uniqueKeysWithValues: kept.map { ($0.hit.postID, $0.match) }), authorScores: authorScores)
    }
}

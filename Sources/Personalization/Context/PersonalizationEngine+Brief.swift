internal import Embedding
internal import Foundation
internal import ProfileStore
internal import VectorMath

extension PersonalizationEngine {
    /// The longest brief a context or a post search takes, in characters.
    public static let maximumBriefLength = 2_000
    /// The most members of the creator's cohort (nearest first) whose posts a brief's candidates come from.
    static let maximumCohortAuthors = 300

    /// Candidate posts for a brief, read from memory and then from the store.
    struct BriefCandidates {
        var posts: [PostRecord]
        var matches: [Int64: BriefMatch]
        /// Each candidate author's similarity to the creator (1 for the creator).
        var authorScores: [Int64: Double]
        /// The handles of the posts' authors and of the similar creators.
        var handles: [Int64: String] = [:]
    }

    /// A brief as a query: its embedding (by the engine's embedder) and its lexical terms;
    /// a brief seen lately comes from the cache without calling the embedder.
    func briefQuery(_ text: String) async throws(PersonalizationError) -> PostIndex.Query {
        if let cached = briefQueries.read({ $0[text] }) { return cached }
        let document = ProfileDocument(name: "", bio: "", posts: [.init(text: text, publishedAt: Date())], postLimit: 1)
        let vector: [Float]
        do { vector = try await embedder.embed([document]) } catch { throw .embedding(error) }
        let query = codedQuery(vector, terms: LexicalTerms.ofQuery(text))
        briefQueries.write { cache in
            if cache.count >= Self.briefCacheSize { cache.removeAll(keepingCapacity: true) }
            cache[text] = query
        }
        return query
    }

    /// A unit vector and term ids as a query of the post codes.
    func codedQuery(_ unit: [Float], terms: [UInt32]) -> PostIndex.Query {
        let coded = postCodec.read { $0 }.query(unit, backend: backend)
        return PostIndex.Query(vector: coded.vector, offset: coded.offset, terms: terms, unit: unit)
    }

    /// The posts that best answer `brief` among those of the similar creators, the creator's
    /// cohort (its ``maximumCohortAuthors`` members nearest the creator) and the creator (at most
    /// three of their own), published in the 90 days to `clock`: scored in memory by brief match ×
    /// author similarity × engagement × recency (docs/CONTEXT.md), the best eight per exemplar
    /// (at least 40) read from the store for MMR, with their authors' and the similar creators' handles.
    ///
    /// - Parameter cohortMembers: the cohort's members nearest the creator when the caller ranked them already.
    func briefCandidates(
        _ brief: String, userID: Int64, neighbors: [Neighbor], cohort: Cohort?, cohortMembers ranked: [Neighbor]? = nil, clock: Date, exemplars: Int,
        halfLifeDays: Double
    ) async throws(PersonalizationError) -> BriefCandidates {
        let query = try await briefQuery(brief)
        var authorScores: [Int64: Double] = [userID: 1]
        for neighbor in neighbors { authorScores[neighbor.id] = Double(neighbor.score) }
        if let cohort, cohort.size > 1 {
            let members = ranked ?? cohortMembers(nearest: userID, cohort: cohort.id, count: Self.maximumCohortAuthors)
            for member in members where authorScores[member.id] == nil {
                authorScores[member.id] = Double(member.score)
            }
        }
        let window = clock.addingTimeInterval(-90 * 86_400)...clock.addingTimeInterval(86_400)
        let scoring = authorScores
        let hits = await Offload.run { self.posts.read { $0.index.score(query, authors: scoring.keys, window: window) } }
        // Closures, not key paths: in an async function a key path is projected through the
        // runtime for each of the thousands of hits.
        let bestSemantic = hits.lazy.map { $0.semantic }.max() ?? 0
        let bestLexical = hits.lazy.map { $0.lexical }.max() ?? 0
        let matches = hits.map { BriefMatch(semantic: $0.semantic, lexical: $0.lexical, bestSemantic: bestSemantic, bestLexical: bestLexical) }
        // Only posts that answer the brief about as well as the best do are eligible; the rest
        // of the score ranks among them (with fewer than two an exemplar eligible: every match).
        let bar = BriefMatch.eligibleShare * (matches.lazy.map { $0.combined }.max() ?? 0)
        let eligible = matches.count { $0.combined >= bar } >= max(10, 2 * exemplars) ? bar : 0
        var median = cohort?.traits.medianEngagementRate ?? 0
        if median <= 0 { median = Double(CohortProfiler.median(hits.map { Float($0.engagementRate) })) }
        median = max(median, 1e-6)
        let scored = zip(hits, matches).compactMap { hit, match -> (hit: PostIndex.Hit, match: BriefMatch, score: Double)? in
            // When some posts share a word with the brief, one that shares none must be close in
            // meaning outright (cosine ≥ 0.5): hashing puts unrelated short texts in shared buckets.
            guard match.combined >= eligible, bestLexical == 0 || hit.lexical > 0 || hit.semantic >= 0.5 else { return nil }
            let age = max(0, clock.timeIntervalSince(hit.publishedAt) / 86_400)
            let engagement = hit.engagementRate / (hit.engagementRate + median)
            return (hit, match, match.combined * max(0, authorScores[hit.authorID] ?? 0) * engagement * pow(0.5, age / halfLifeDays))
        }
        .filter { $0.match.combined > 0 }
        // The best `shortlist` of them, at most three of the creator's own.
        typealias Scored = (hit: PostIndex.Hit, match: BriefMatch, score: Double)
        let precedes = { (a: Scored, b: Scored) in (a.score, b.hit.postID) > (b.score, a.hit.postID) }
        let shortlist = max(40, 8 * exemplars)
        let own = scored.lazy.filter { $0.hit.authorID == userID }.best(3, by: precedes)
        let others = scored.lazy.filter { $0.hit.authorID != userID }.best(shortlist, by: precedes)
        let kept = Array((own + others).sorted(by: precedes).prefix(shortlist))
        let read: (posts: [PostRecord], handles: [Int64: String])
        do { read = try await store.postsWithHandles(ids: kept.map(\.hit.postID), alsoHandlesOf: neighbors.map(\.id)) } catch { throw .store(error) }
        return BriefCandidates(
            posts: read.posts, matches: Dictionary(uniqueKeysWithValues: kept.map { ($0.hit.postID, $0.match) }), authorScores: authorScores,
            handles: read.handles)
    }

    /// The `k` creators most similar to `userID` over the `nprobe` cohorts nearest to them (as
    /// ``similarCreators(toUser:k:mode:cohort:excluding:)`` partitioned) and the `count` members of
    /// `cohort` nearest to them by int8 score, from one pass over the partition; nil without a run.
    func partitionedNeighborsAndCohortMembers(of userID: Int64, k: Int, nprobe: Int, cohort: Int, count: Int) -> (neighbors: [Neighbor], members: [Neighbor])? {
        state.read { state in
            guard let run = state.run, (0..<run.partition.k).contains(cohort), let stored = try? state.index.vector(for: userID),
                let unit = try? UnitVector.normalized(stored)
            else { return nil }
            return unit.withUnsafeBufferPointer { query in
                run.partition.search(
                    query: query, k: k, nprobe: nprobe, excluded: [userID], membersOf: cohort, count: count, excludedMembers: [userID],
                    index: state.index, backend: backend)
            }
        }
    }

    /// The `count` members of `cohort` nearest to `userID`, by their int8 partition rows (their
    /// scores are within about 0.02 of the exact ones, enough to weigh authors by), on the caller's thread.
    private func cohortMembers(nearest userID: Int64, cohort: Int, count: Int) -> [Neighbor] {
        state.read { state in
            guard let run = state.run, let vector = try? state.index.vector(for: userID) else { return [] }
            return vector.withUnsafeBufferPointer { query in
                run.partition.shortlist(query: query, k: count, nprobe: 1, cohort: cohort, excluded: [userID], threads: 1, backend: backend)
            }
        }
    }
}

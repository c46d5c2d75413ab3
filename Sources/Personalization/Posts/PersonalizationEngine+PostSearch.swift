internal import Embedding
public import Foundation
internal import ProfileStore
internal import VectorMath

extension PersonalizationEngine {
    /// Where a post search looks.
    public struct PostSearchOptions: Sendable, Equatable {
        /// The most posts a search returns.
        public static let maximumK = 100

        /// Posts to return (1…``maximumK``). Default 10.
        public var k: Int
        /// Only this creator's posts.
        public var userID: Int64?
        /// Only posts of this cohort's members (active run).
        public var cohort: Int?
        /// Only posts published at or after this.
        public var since: Date?
        /// Only posts published at or before this.
        public var until: Date?
        /// Without a creator or cohort: the posts of the ``nearestAuthors`` creators whose profiles
        /// are nearest the query, searched in the `nprobe` cohorts nearest it (exactly when there is
        /// no run); nil: every post. Default 3.
        public var nprobe: Int?

        /// The creators whose posts a search without a creator or cohort looks at.
        public static let nearestAuthors = 200

        /// Options with the defaults above.
        public init(k: Int = 10, userID: Int64? = nil, cohort: Int? = nil, since: Date? = nil, until: Date? = nil, nprobe: Int? = 3) {
            self.k = k
            self.userID = userID
            self.cohort = cohort
            self.since = since
            self.until = until
            self.nprobe = nprobe
        }
    }

    /// One post found, with what its rank is made of.
    public struct PostHit: Codable, Sendable, Equatable {
        public var postID: Int64
        public var authorID: Int64
        public var publishedAt: Date
        /// The rank's value: the brief match (see docs/CONTEXT.md), the cosine alone for a vector query.
        public var score: Double
        /// Cosine of the post's embedding (its compact code) and the query's.
        public var brief: Double
        /// BM25 of the query's words in the post, over the best found (0…1; nil for a vector query).
        public var lexical: Double?
    }

    /// The posts that best match a text (embedded, and its words for BM25) or a vector (cosine
    /// only), best first.
    ///
    /// - Throws: `.invalidInput` for neither or both of text and vector, a blank or too long text,
    ///   a bad vector, k out of range, an empty or reversed window, nprobe ≤ 0; `.unknownCohort`;
    ///   `.notReady` when no post has an embedding yet.
    public func searchPosts(text: String? = nil, vector: [Float]? = nil, options: PostSearchOptions = PostSearchOptions()) async throws(PersonalizationError)
        -> [PostHit]
    {
        guard (1...PostSearchOptions.maximumK).contains(options.k) else {
            throw PersonalizationError(.invalidInput, "k must be in 1...\(PostSearchOptions.maximumK), got \(options.k)")
        }
        if let since = options.since, let until = options.until, since > until {
            throw PersonalizationError(.invalidInput, "since is after until")
        }
        if let nprobe = options.nprobe, nprobe <= 0 { throw PersonalizationError(.invalidInput, "nprobe must be positive, got \(nprobe)") }
        let query: PostIndex.Query
        switch (text?.trimmingCharacters(in: .whitespacesAndNewlines), vector) {
        case (let text?, nil):
            guard !text.isEmpty else { throw PersonalizationError(.invalidInput, "the text is blank") }
            guard text.count <= Self.maximumBriefLength else {
                throw PersonalizationError(.invalidInput, "the text has \(text.count) characters; at most \(Self.maximumBriefLength) are taken")
            }
            query = try await briefQuery(text)
        case (nil, let vector?):
            let unit: [Float]
            do { unit = try UnitVector.normalized(vector) } catch { throw PersonalizationError(.invalidInput, "query vector: \(error.message)") }
            guard unit.count == store.configuration.dimensions else {
                throw PersonalizationError(.invalidInput, "the query has \(unit.count) dimensions; the posts \(store.configuration.dimensions)")
            }
            query = codedQuery(unit, terms: [])
        default:
            throw PersonalizationError(.invalidInput, "give exactly one of a text and a vector")
        }
        guard postCount > 0 else { throw PersonalizationError(.notReady, "no post has an embedding yet: run `onering embed --posts`") }
        var authors = try postSearchAuthors(options: options)
        if authors == nil, let nprobe = options.nprobe, status.creators > 0 { authors = try nearestAuthors(query.unit, nprobe: nprobe) }
        let window = (options.since ?? .distantPast)...(options.until ?? .distantFuture)
        let scope = authors
        let hits = await Offload.run {
            self.posts.read { index in
                scope.map { index.index.score(query, authors: $0, window: window) } ?? index.index.score(query, authors: index.index.allAuthors, window: window)
            }
        }
        // Closures, not key paths: in an async function a key path is projected through the
        // runtime for each of the thousands of hits.
        let bestSemantic = hits.lazy.map { $0.semantic }.max() ?? 0
        let bestLexical = hits.lazy.map { $0.lexical }.max() ?? 0
        return
            hits
            .map { hit in
                let match = BriefMatch(semantic: hit.semantic, lexical: hit.lexical, bestSemantic: bestSemantic, bestLexical: bestLexical)
                return PostHit(
                    postID: hit.postID, authorID: hit.authorID, publishedAt: hit.publishedAt,
                    score: query.terms.isEmpty ? hit.semantic : match.combined, brief: hit.semantic,
                    lexical: query.terms.isEmpty ? nil : match.lexical)
            }
            .sorted { ($0.score, $1.postID) > ($1.score, $0.postID) }
            .prefix(options.k)
            .map { $0 }
    }

    /// The authors a post search looks at for a creator or a cohort, or nil for neither.
    private func postSearchAuthors(options: PostSearchOptions) throws(PersonalizationError) -> [Int64]? {
        if let userID = options.userID { return [userID] }
        guard let cohort = options.cohort else { return nil }
        return try state.read { (state) throws(PersonalizationError) -> [Int64] in
            guard let run = state.run else { throw PersonalizationError(.notReady, "there is no cohort run yet: run `onering cohorts rebuild`") }
            guard (0..<run.partition.k).contains(cohort) else {
                throw PersonalizationError(.unknownCohort, "cohort \(cohort) is not in run \(run.record.id) (0..<\(run.partition.k))")
            }
            return run.partition.members(of: cohort)
        }
    }

    /// The creators nearest a unit query, by their profiles: the authors a post search without a
    /// creator or cohort looks at. Their int8 partition scores pick them (no float32 re-rank:
    /// they only choose whose posts are scored); exactly when there is no run.
    private func nearestAuthors(_ unit: [Float], nprobe: Int) throws(PersonalizationError) -> [Int64] {
        let count = PostSearchOptions.nearestAuthors
        let found = state.read { state in
            state.run.map { run in
                unit.withUnsafeBufferPointer { query in
                    run.partition.shortlist(query: query, k: count, nprobe: nprobe, cohort: nil, excluded: [], threads: 1, backend: backend).map(\.id)
                }
            }
        }
        if let found { return found }
        return try similarCreators(to: unit, k: min(count, max(1, status.creators))).map(\.id)
    }
}

internal import Foundation
internal import ProfileStore
internal import VectorMath

extension PersonalizationEngine {
    /// What goes into a context.
    public struct ContextOptions: Sendable, Hashable {
        /// The most similar creators a context searches: ten times what the writer reads.
        public static let maximumSimilarCreators = 100
        /// The most exemplars a context picks: four times what the writer's prompt shows.
        public static let maximumExemplars = 20
        /// The largest token budget.
        public static let maximumTokenBudget = 32_000

        /// Similar creators to find (1…``maximumSimilarCreators``). Default 10.
        public var similarCreators: Int
        /// Exemplar posts to pick (0…``maximumExemplars``). Default 5.
        public var exemplars: Int
        /// The token budget (100…``maximumTokenBudget``), estimated as UTF-8 bytes of the JSON / 4. Default 1,500.
        public var tokenBudget: Int
        /// Exact or cohort-partitioned search. Default exact.
        public var mode: SearchMode
        /// Half-life of a post's recency weight, in days. Default 14.
        public var halfLifeDays: Double
        /// MMR's λ: 1 ranks by relevance only, lower values favour diversity. Default 0.7.
        public var lambda: Double
        /// Candidate posts per similar creator (their most engaging of the last 90 days). Default 5.
        public var postsPerCreator: Int
        /// The creator's own recent posts read for style hints. Default 50.
        public var ownPosts: Int
        /// Whether a missing or stale embedding is computed and written first (a write to the
        /// store). Without it a stale embedding is used as it is, and a missing one is an error. Default true.
        public var embedsOnDemand = true
        /// What the creator is about to write: the exemplars answer it (see docs/CONTEXT.md).
        /// Blank counts as none; then the cohort's top trending topic stands in. At most
        /// ``PersonalizationEngine/maximumBriefLength`` characters.
        public var brief: String?
        /// Whether the exemplars answer the brief (or the trending topic standing in). Off: the
        /// similar creators' most engaging posts, whatever they are about (schema 1.1's behaviour,
        /// kept for comparison). Default true.
        public var answersBrief = true

        /// Options with the defaults above.
        public init(
            similarCreators: Int = 10, exemplars: Int = 5, tokenBudget: Int = 1_500, mode: SearchMode = .exact,
            halfLifeDays: Double = 14, lambda: Double = 0.7, postsPerCreator: Int = 5, ownPosts: Int = 50
        ) {
            self.similarCreators = similarCreators
            self.exemplars = exemplars
            self.tokenBudget = tokenBudget
            self.mode = mode
            self.halfLifeDays = halfLifeDays
            self.lambda = lambda
            self.postsPerCreator = postsPerCreator
            self.ownPosts = ownPosts
        }

        func validate() throws(PersonalizationError) {
            func check(_ ok: Bool, _ message: String) throws(PersonalizationError) {
                if !ok { throw PersonalizationError(.invalidInput, message) }
            }
            try check(
                (1...Self.maximumSimilarCreators).contains(similarCreators),
                "k (similar creators) must be in 1...\(Self.maximumSimilarCreators), got \(similarCreators)")
            try check((0...Self.maximumExemplars).contains(exemplars), "exemplars must be in 0...\(Self.maximumExemplars), got \(exemplars)")
            try check((100...Self.maximumTokenBudget).contains(tokenBudget), "the token budget must be in 100...\(Self.maximumTokenBudget), got \(tokenBudget)")
            try check(halfLifeDays > 0 && halfLifeDays.isFinite, "the half-life must be a positive number of days")
            try check((0...1).contains(lambda), "λ must be in 0...1, got \(lambda)")
            try check((1...100).contains(postsPerCreator) && (1...1_000).contains(ownPosts), "posts per creator must be in 1...100, own posts in 1...1000")
            if case .partitioned(let nprobe) = mode, nprobe <= 0 { throw PersonalizationError(.invalidInput, "nprobe must be positive, got \(nprobe)") }
            if let brief, brief.count > PersonalizationEngine.maximumBriefLength {
                throw PersonalizationError(
                    .invalidInput, "the brief has \(brief.count) characters; at most \(PersonalizationEngine.maximumBriefLength) are taken")
            }
        }

        /// The brief without surrounding white space, nil when blank.
        var trimmedBrief: String? {
            guard let trimmed = brief?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
            return trimmed
        }
    }

    /// Builds the personalization context of `userID` (see docs/CONTEXT.md), embedding the
    /// creator first when their embedding is missing or stale.
    ///
    /// A context asked for again with the same options, while the engine has learnt of no change
    /// (``ContextCache``), is the one built before, stamped `generatedAt` now and with
    /// `embedding.refreshed` false (nothing was embedded for it).
    ///
    /// - Throws: `.unknownUser`; `.notEmbedded` without an embedding when `embedsOnDemand` is off;
    ///   `.invalidInput` for options out of range; `.store`, `.embedding`.
    public func context(for userID: Int64, options: ContextOptions = ContextOptions()) async throws(PersonalizationError) -> PersonalizationContext {
        try options.validate()
        let key = ContextCache.Key(userID: userID, options: options)
        if var kept = contexts.context(for: key) {
            kept.generatedAt = Date()
            kept.embedding.refreshed = false
            return kept
        }
        let generation = contexts.generation, started = Date()
        let built = try await buildContext(for: userID, options: options)
        // A clock held back to now (data dated ahead of it) would move on: such a context is not kept.
        if built.asOf < started { contexts.insert(built, for: key, builtIn: generation) }
        return built
    }

    /// The context of `userID`, built from what the engine and the store hold now.
    private func buildContext(for userID: Int64, options: ContextOptions) async throws(PersonalizationError) -> PersonalizationContext {
        let refresh: ProfileRefresh
        if options.embedsOnDemand {
            refresh = try await refreshEmbedding(userID: userID, recentPosts: options.ownPosts)
        } else {
            let stored: ProfileStore.ProfileWithPosts?
            do { stored = try await store.profile(userID: userID, postLimit: options.ownPosts) } catch { throw .store(error) }
            guard let stored else { throw PersonalizationError(.unknownUser, "there is no creator \(userID)") }
            guard contains(userID) else {
                throw PersonalizationError(
                    .notEmbedded, "creator \(userID) has no embedding yet, and these credentials may not write one: refresh it with write access first")
            }
            refresh = ProfileRefresh(profile: stored, embedded: false)
        }
        let profile = refresh.profile
        // The creator's own recent posts that have no post embedding yet (written since the last
        // backfill): embedded now, so a brief finds them, when the caller may write.
        if options.embedsOnDemand, options.answersBrief, postCount > 0 {
            try await embedPosts(profile.posts.filter { !containsPost($0.id) })
        }
        let membership = cohort(of: userID)

        // The clock: the cohort's (set at the rebuild, robust to any one creator's dates) or the
        // creator's own newest post, never later than now and never from other creators' posts,
        // so no one else's data moves what this creator's exemplars are ranked against.
        let now = Date()
        let clock = [membership?.cohort.traits.asOf, profile.posts.first?.publishedAt].compactMap { $0 }.max().map { min($0, now) } ?? now
        let since = clock.addingTimeInterval(-90 * 86_400)
        // The brief asked for, or the cohort's top trending topic standing in for it.
        let brief =
            options.trimmedBrief.map { PersonalizationContext.Brief(text: $0, source: "request") }
            ?? membership?.cohort.traits.trendingTopics.first.map { PersonalizationContext.Brief(text: $0.topic, source: "trendingTopic") }
        let answersBrief = options.answersBrief && brief != nil && postCount > 0 && options.exemplars > 0
        let available = status.creators - 1
        // A partitioned search that scans the creator's cohort anyway ranks its members for the brief in the same pass.
        var found: (neighbors: [Neighbor], members: [Neighbor])?
        if available > 0, case .partitioned(let nprobe) = options.mode, answersBrief, let membership, membership.cohort.size > 1 {
            let k = min(options.similarCreators, available)
            found = await Offload.run {
                self.partitionedNeighborsAndCohortMembers(of: userID, k: k, nprobe: nprobe, cohort: membership.cohort.id, count: Self.maximumCohortAuthors)
            }
        }
        let neighbors: [Neighbor]
        if let found {
            neighbors = found.neighbors
        } else {
            neighbors = available > 0 ? try await nearestCreators(toUser: userID, k: min(options.similarCreators, available), mode: options.mode) : []
        }
        let cohortMembers = found?.members
        var posts: [PostRecord] = []
        var matches: [Int64: BriefMatch] = [:]
        var handles: [Int64: String] = [:]
        var authorScores = Dictionary(uniqueKeysWithValues: neighbors.map { ($0.id, Double($0.score)) })
        if answersBrief, let brief {
            // The candidates' read brings the similar creators' handles too.
            let found = try await briefCandidates(
                brief.text, userID: userID, neighbors: neighbors, cohort: membership?.cohort, cohortMembers: cohortMembers, clock: clock,
                exemplars: options.exemplars, halfLifeDays: options.halfLifeDays)
            (posts, matches, handles) = (found.posts, found.matches, found.handles)
            authorScores.merge(found.authorScores) { kept, _ in kept }
        }
        do throws(ProfileStoreError) {
            // Without a brief (or without post embeddings): the similar creators' most engaging posts.
            if matches.isEmpty, !neighbors.isEmpty {
                posts = try await store.topPosts(authors: neighbors.map(\.id), since: since, perAuthor: options.postsPerCreator)
            }
            let unnamed = neighbors.map(\.id).filter { handles[$0] == nil }
            if !unnamed.isEmpty { handles.merge(try await store.handles(userIDs: unnamed)) { kept, _ in kept } }
        } catch {
            throw .store(error)
        }

        // Ranking, style and trimming are CPU work: off the cooperative threads.
        let runID = state.read { $0.run?.record.id ?? 0 }
        let candidates = BriefCandidates(posts: posts, matches: matches, authorScores: authorScores)
        let allHandles = handles
        let answered = matches.isEmpty ? nil : brief
        return await Offload.run {
            self.assemble(
                profile: profile, refreshed: refresh.embedded, membership: membership, runID: runID, neighbors: neighbors,
                candidates: candidates, brief: answered, handles: allHandles, clock: clock, options: options)
        }
    }

    /// The context from what was read: exemplars ranked, style hints, trimmed to the budget.
    private func assemble(
        profile: ProfileStore.ProfileWithPosts, refreshed: Bool, membership: (cohort: Cohort, similarity: Float)?, runID: Int64,
        neighbors: [Neighbor], candidates: BriefCandidates, brief: PersonalizationContext.Brief?, handles: [Int64: String], clock: Date,
        options: ContextOptions
    ) -> PersonalizationContext {
        let exemplars = rankExemplars(
            candidates, creatorID: profile.user.id, handles: handles, cohortMedian: membership?.cohort.traits.medianEngagementRate,
            clock: clock, options: options)
        let traits = membership?.cohort.traits
        var context = PersonalizationContext(
            version: PersonalizationContext.schemaVersion, generatedAt: Date(), asOf: clock,
            creator: .init(id: profile.user.id, handle: profile.user.handle, name: profile.user.name, bio: profile.user.bio),
            brief: brief,
            cohort: membership.map { membership in
                .init(
                    runID: runID, id: membership.cohort.id, label: membership.cohort.label,
                    terms: membership.cohort.terms, similarity: Double(membership.similarity), size: membership.cohort.size)
            },
            similarCreators: neighbors.map { .init(id: $0.id, handle: handles[$0.id] ?? "", score: Double($0.score)) },
            exemplars: exemplars,
            postingTimes: traits?.bestPostingTimes ?? [],
            trendingTopics: traits?.trendingTopics ?? [],
            strategy: .init(whatPerforms: traits?.whatPerforms ?? []),
            style: StyleAnalyzer.hints(profile.posts),
            search: {
                if case .partitioned(let nprobe) = options.mode, membership != nil {
                    return .init(mode: "partitioned", nprobe: nprobe, k: options.similarCreators)
                }
                return .init(mode: "exact", nprobe: nil, k: options.similarCreators)
            }(),
            embedding: .init(model: embedder.modelID, refreshed: refreshed),
            budget: .init(tokens: options.tokenBudget, estimatedTokens: 0, dropped: [:], exceeded: false)
        )
        Self.trim(&context, to: options.tokenBudget)
        return context
    }

    private func rankExemplars(
        _ candidates: BriefCandidates, creatorID: Int64, handles: [Int64: String], cohortMedian: Double?, clock: Date, options: ContextOptions
    ) -> [PersonalizationContext.Exemplar] {
        let posts = candidates.posts
        guard options.exemplars > 0, !posts.isEmpty else { return [] }
        let rates = posts.map(\.engagementRate)
        var median = cohortMedian ?? 0
        if median <= 0 { median = CohortProfiler.median(rates.map(Float.init)) }
        median = max(median, 1e-6)
        let ranked = zip(posts, rates).map { post, rate in
            let age = max(0, clock.timeIntervalSince(post.publishedAt) / 86_400)
            return ExemplarRanking.Candidate(
                post: post, semantic: max(0, candidates.authorScores[post.userID] ?? 0),
                engagement: rate / (rate + median), recency: pow(0.5, age / options.halfLifeDays),
                match: candidates.matches[post.id] ?? .none)
        }
        // The authors' cosine similarities, all pairs at once (one small GEMM).
        let authors = Array(Set(posts.map(\.userID))).sorted().filter(contains)
        let position = Dictionary(uniqueKeysWithValues: authors.enumerated().map { ($1, $0) })
        let dimensions = store.configuration.dimensions
        // Each author's row copied once, straight from the index (under one read of it).
        var matrix = Matrix<Float>(columns: dimensions, capacity: authors.count)
        state.read { state in
            for author in authors {
                matrix.appendRows(count: 1) { row in
                    if !state.index.copyVector(for: author, into: row) { row.initialize(repeating: 0, count: dimensions) }
                }
            }
        }
        var gram = [Float](repeating: 0, count: authors.count * authors.count)
        matrix.withUnsafeBufferPointer { m in
            if let base = m.baseAddress, !authors.isEmpty {
                backend.multiplyTransposed(
                    m: authors.count, n: authors.count, k: dimensions, a: base, lda: dimensions,
                    b: base, ldb: dimensions, c: &gram, ldc: authors.count)
            }
        }
        let ranking = ExemplarRanking(lambda: options.lambda) { [gram] a, b in
            guard let i = position[a], let j = position[b] else { return 0 }
            return Double(gram[i * authors.count + j])
        }
        return ranking.select(ranked, count: options.exemplars).map { picked in
            let post = picked.candidate.post
            return .init(
                postID: post.id, authorID: post.userID, authorHandle: handles[post.userID] ?? "", platform: post.platform,
                publishedAt: post.publishedAt, text: post.text, hashtags: post.hashtags, topics: post.topics,
                score: picked.score, relevance: picked.candidate.relevance,
                breakdown: .init(
                    semantic: picked.candidate.semantic, engagement: picked.candidate.engagement,
                    recency: picked.candidate.recency, diversity: picked.diversity,
                    brief: picked.candidate.match.brief, lexical: picked.candidate.match.lexical),
                own: post.userID == creatorID
            )
        }
    }

    /// Drops the lowest-value items until the estimate fits: similar creators (lowest score
    /// first; their best posts are already exemplars), then posting times and trending topics
    /// beyond the best one, then exemplars beyond the best one (lowest score first), then the rest.
    /// The estimate is exact: ⌈UTF-8 bytes / 4⌉ of the JSON that carries it.
    ///
    /// - Complexity: one encoding of the whole context; then each dropped item's own bytes come
    ///   off, and the budget object (a few dozen bytes) is encoded again to count its change.
    static func trim(_ context: inout PersonalizationContext, to budget: Int) {
        func tokens(_ bytes: Int) -> Int { (bytes + 3) / 4 }
        func budgetBytes() -> Int { JSONBytes.count(context.budget) { $1.write(to: &$0) } }
        context.budget.estimatedTokens = 0
        context.budget.dropped = [:]
        context.budget.exceeded = false
        // The budget object's bytes are the same inside the context as on their own, so the
        // context's size is the rest's plus the budget's as it is now.
        var rest = context.compactJSON().count - budgetBytes()
        func size() -> Int { rest + budgetBytes() }
        /// Removes the last item of `list` when it holds more than `keep`; its bytes and comma come off `rest`.
        func drop<Item>(
            _ field: String, keep: Int, _ list: WritableKeyPath<PersonalizationContext, [Item]>, _ write: (inout JSONBytes, Item) -> Void
        ) -> Bool {
            guard context[keyPath: list].count > keep, let removed = context[keyPath: list].popLast() else { return false }
            rest -= JSONBytes.count(removed, write) + (context[keyPath: list].isEmpty ? 0 : 1)
            context.budget.dropped[field, default: 0] += 1
            return true
        }
        while tokens(size()) > budget {
            let progressed =
                drop("similarCreators", keep: 0, \.similarCreators) { $1.write(to: &$0) }
                || drop("postingTimes", keep: 1, \.postingTimes) { $1.write(to: &$0) }
                || drop("trendingTopics", keep: 1, \.trendingTopics) { $1.write(to: &$0) }
                || drop("strategy.whatPerforms", keep: 1, \.strategy.whatPerforms) { $1.write(to: &$0) }
                || drop("exemplars", keep: 1, \.exemplars) { $1.write(to: &$0) }
                || drop("postingTimes", keep: 0, \.postingTimes) { $1.write(to: &$0) }
                || drop("trendingTopics", keep: 0, \.trendingTopics) { $1.write(to: &$0) }
                || drop("strategy.whatPerforms", keep: 0, \.strategy.whatPerforms) { $1.write(to: &$0) }
            if !progressed {
                context.budget.exceeded = true
                break
            }
        }
        // The estimate's own digits are part of the JSON it estimates: settle on the value that
        // counts itself (a digit more moves it by at most one, so two or three rounds do).
        while tokens(size()) != context.budget.estimatedTokens {
            context.budget.estimatedTokens = tokens(size())
        }
    }
}

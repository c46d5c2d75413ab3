internal import Foundation
internal import ProfileStore
internal import VectorMath

extension PersonalizationEngine {
    /// What goes into a context.
    public struct ContextOptions: Sendable, Equatable {
        /// Similar creators to find (1…1000). Default 10.
        public var similarCreators: Int
        /// Exemplar posts to pick (0…50). Default 5.
        public var exemplars: Int
        /// The token budget (≥ 100), estimated as UTF-8 bytes of the JSON / 4. Default 1,500.
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

        /// Options with the defaults above.
        public init(similarCreators: Int = 10, exemplars: Int = 5, tokenBudget: Int = 1_500, mode: SearchMode = .exact,
                    halfLifeDays: Double = 14, lambda: Double = 0.7, postsPerCreator: Int = 5, ownPosts: Int = 50) {
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
            try check((1...1_000).contains(similarCreators), "k (similar creators) must be in 1...1000, got \(similarCreators)")
            try check((0...50).contains(exemplars), "exemplars must be in 0...50, got \(exemplars)")
            try check(tokenBudget >= 100, "the token budget must be at least 100, got \(tokenBudget)")
            try check(halfLifeDays > 0 && halfLifeDays.isFinite, "the half-life must be a positive number of days")
            try check((0...1).contains(lambda), "λ must be in 0...1, got \(lambda)")
            try check((1...100).contains(postsPerCreator) && (1...1_000).contains(ownPosts), "posts per creator must be in 1...100, own posts in 1...1000")
            if case .partitioned(let nprobe) = mode, nprobe <= 0 { throw PersonalizationError(.invalidInput, "nprobe must be positive, got \(nprobe)") }
        }
    }

    /// Builds the personalization context of `userID` (see docs/CONTEXT.md), embedding the
    /// creator first when their embedding is missing or stale.
    ///
    /// - Throws: `.unknownUser`; `.invalidInput` for options out of range; `.store`, `.embedding`.
    public func context(for userID: Int64, options: ContextOptions = ContextOptions()) async throws(PersonalizationError) -> PersonalizationContext {
        try options.validate()
        let refresh = try await refreshEmbedding(userID: userID, recentPosts: options.ownPosts)
        let profile = refresh.profile
        let available = status.creators - 1
        let neighbors = available > 0
            ? try await nearestCreators(toUser: userID, k: min(options.similarCreators, available), mode: options.mode)
            : []
        let membership = cohort(of: userID)

        // The clock: the newest post in sight, so a store loaded from a fixed data set keeps a recent week.
        var asOf = [membership?.cohort.traits.asOf, profile.posts.first?.publishedAt].compactMap { $0 }.max()
        let since = (asOf ?? Date()).addingTimeInterval(-90 * 86_400)
        let posts: [PostRecord]
        let handles: [Int64: String]
        do {
            // Two connections at once: the posts and the handles do not wait for each other.
            async let candidatePosts = neighbors.isEmpty ? [] : store.topPosts(authors: neighbors.map(\.id), since: since, perAuthor: options.postsPerCreator)
            async let authorHandles = store.handles(userIDs: neighbors.map(\.id))
            posts = try await candidatePosts
            handles = try await authorHandles
        } catch {
            // `async let` forgets the error type; only the store throws here.
            throw .store(error as? ProfileStoreError ?? ProfileStoreError(.queryFailed, "\(error)"))
        }
        asOf = ([asOf] + posts.map(\.publishedAt)).compactMap { $0 }.max()
        let clock = asOf ?? Date()

        let exemplars = rankExemplars(posts, neighbors: neighbors, handles: handles, cohortMedian: membership?.cohort.traits.medianEngagementRate,
                                      clock: clock, options: options)
        let traits = membership?.cohort.traits
        var context = PersonalizationContext(
            version: PersonalizationContext.schemaVersion, generatedAt: Date(), asOf: clock,
            creator: .init(id: profile.user.id, handle: profile.user.handle, name: profile.user.name, bio: profile.user.bio),
            cohort: membership.map { membership in
                .init(runID: state.read { $0.run?.record.id ?? 0 }, id: membership.cohort.id, label: membership.cohort.label,
                      terms: membership.cohort.terms, similarity: Double(membership.similarity), size: membership.cohort.size)
            },
            similarCreators: neighbors.map { .init(id: $0.id, handle: handles[$0.id] ?? "", score: Double($0.score)) },
            exemplars: exemplars,
            postingTimes: traits?.bestPostingTimes ?? [],
            trendingTopics: traits?.trendingTopics ?? [],
            style: StyleAnalyzer.hints(profile.posts),
            search: {
                if case .partitioned(let nprobe) = options.mode, membership != nil {
                    return .init(mode: "partitioned", nprobe: nprobe, k: options.similarCreators)
                }
                return .init(mode: "exact", nprobe: nil, k: options.similarCreators)
            }(),
            embedding: .init(model: embedder.modelID, refreshed: refresh.embedded),
            budget: .init(tokens: options.tokenBudget, estimatedTokens: 0, dropped: [:], exceeded: false)
        )
        Self.trim(&context, to: options.tokenBudget)
        return context
    }

    private func rankExemplars(_ posts: [PostRecord], neighbors: [Neighbor], handles: [Int64: String], cohortMedian: Double?,
                               clock: Date, options: ContextOptions) -> [PersonalizationContext.Exemplar] {
        guard options.exemplars > 0, !posts.isEmpty else { return [] }
        let semantic = Dictionary(uniqueKeysWithValues: neighbors.map { ($0.id, Double($0.score)) })
        let rates = posts.map { Double($0.likes + $0.reposts) / Double(max($0.views, 1)) }
        var median = cohortMedian ?? 0
        if median <= 0 { median = CohortProfiler.median(rates.map(Float.init)) }
        median = max(median, 1e-6)
        let candidates = zip(posts, rates).map { post, rate in
            let age = max(0, clock.timeIntervalSince(post.publishedAt) / 86_400)
            return ExemplarRanking.Candidate(post: post, semantic: max(0, semantic[post.userID] ?? 0),
                                             engagement: rate / (rate + median), recency: pow(0.5, age / options.halfLifeDays))
        }
        // The authors' cosine similarities, all pairs at once (one small GEMM).
        let authors = neighbors.map(\.id).filter(contains)
        let position = Dictionary(uniqueKeysWithValues: authors.enumerated().map { ($1, $0) })
        let dimensions = store.configuration.dimensions
        let matrix = Matrix(columns: dimensions, values: authors.flatMap { embedding(of: $0) ?? [Float](repeating: 0, count: dimensions) })
        var gram = [Float](repeating: 0, count: authors.count * authors.count)
        matrix.withUnsafeBufferPointer { m in
            if let base = m.baseAddress, !authors.isEmpty {
                backend.multiplyTransposed(m: authors.count, n: authors.count, k: dimensions, a: base, lda: dimensions,
                                           b: base, ldb: dimensions, c: &gram, ldc: authors.count)
            }
        }
        let ranking = ExemplarRanking(lambda: options.lambda) { [gram] a, b in
            guard let i = position[a], let j = position[b] else { return 0 }
            return Double(gram[i * authors.count + j])
        }
        return ranking.select(candidates, count: options.exemplars).map { picked in
            let post = picked.candidate.post
            return .init(
                postID: post.id, authorID: post.userID, authorHandle: handles[post.userID] ?? "", platform: post.platform,
                publishedAt: post.publishedAt, text: post.text, hashtags: post.hashtags, topics: post.topics,
                score: picked.score, relevance: picked.candidate.relevance,
                breakdown: .init(semantic: picked.candidate.semantic, engagement: picked.candidate.engagement,
                                 recency: picked.candidate.recency, diversity: picked.diversity)
            )
        }
    }

    /// Drops the lowest-value items until the estimate fits: similar creators (lowest score
    /// first; their best posts are already exemplars), then posting times and trending topics
    /// beyond the best one, then exemplars beyond the best one (lowest score first), then the rest.
    static func trim(_ context: inout PersonalizationContext, to budget: Int) {
        func estimate() -> Int { (context.jsonData().count + 3) / 4 }
        var dropped: [String: Int] = [:]
        func drop(_ field: String, keep: Int, _ list: KeyPath<PersonalizationContext, Int>, _ remove: (inout PersonalizationContext) -> Void) -> Bool {
            guard context[keyPath: list] > keep else { return false }
            remove(&context)
            dropped[field, default: 0] += 1
            return true
        }
        context.budget.estimatedTokens = estimate()
        while context.budget.estimatedTokens > budget {
            let progressed = drop("similarCreators", keep: 0, \.similarCreators.count) { $0.similarCreators.removeLast() }
                || drop("postingTimes", keep: 1, \.postingTimes.count) { $0.postingTimes.removeLast() }
                || drop("trendingTopics", keep: 1, \.trendingTopics.count) { $0.trendingTopics.removeLast() }
                || drop("exemplars", keep: 1, \.exemplars.count) { $0.exemplars.removeLast() }
                || drop("postingTimes", keep: 0, \.postingTimes.count) { $0.postingTimes.removeLast() }
                || drop("trendingTopics", keep: 0, \.trendingTopics.count) { $0.trendingTopics.removeLast() }
            context.budget.dropped = dropped
            context.budget.estimatedTokens = estimate()
            guard progressed else {
                context.budget.exceeded = true
                break
            }
        }
        context.budget.dropped = dropped
        context.budget.estimatedTokens = estimate()
    }
}

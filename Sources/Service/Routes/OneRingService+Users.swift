internal import Embedding
internal import Foundation
internal import Hummingbird
internal import Personalization
internal import ProfileStore

extension OneRingService {
    /// A creator's profile, as `PUT /v1/users/{id}/profile` takes it.
    struct ProfileBody: Codable {
        var handle: String
        var name: String
        var bio: String?
    }

    /// One post, as `POST /v1/users/{id}/posts` takes it (the author is the path's user).
    struct PostBody: Codable {
        var id: Int64
        var text: String
        var topics: [String]?
        var hashtags: [String]?
        var platform: String
        var publishedAt: Date
        var views: Int64?
        var likes: Int64?
        var reposts: Int64?

        enum CodingKeys: String, CodingKey {
            case id, text, topics, hashtags, platform, views, likes, reposts
            case publishedAt = "published_at"
        }
    }

    struct PostsBody: Codable {
        var posts: [PostBody]
    }

    /// What a write did.
    struct WriteCounts: Encodable {
        var inserted: Int
        var updated: Int
        var unchanged: Int

        init(_ counts: ProfileStore.ImportCounts) {
            inserted = counts.inserted
            updated = counts.updated
            unchanged = counts.unchanged
        }
    }

    struct RefreshAnswer: Encodable {
        var userID: Int64
        var embedded: Bool
        var model: String
    }

    /// The most posts one request may write.
    static let maximumPostsPerRequest = 1_000

    /// A creator's profile, posts, embedding and context.
    func addUserRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/v1/users/{id}/profile", .put, in: self.routes) { request, context in
            let userID = try Self.pathID(in: context, of: "user")
            try context.authorize(.write, userID: userID)
            let body = try await self.decode(ProfileBody.self, from: request)
            let user = UserRecord(id: userID, handle: UserRecord.normalizedHandle(body.handle), name: body.name, bio: body.bio ?? "")
            if let problem = user.problem() { throw ServiceError(.invalidInput, .badRequest, "\(problem.field) \(problem.message)") }
            let counts = try await self.store.importUsers([Numbered(line: 1, record: user)], source: "profile")
            // The next context reads the new profile (other engines learn of it from the profile feed).
            self.engine.invalidateContexts()
            return try Self.json(WriteCounts(counts), status: counts.inserted > 0 ? .created : .ok)
        }

        router.on("/v1/users/{id}/posts", .post, in: self.routes) { request, context in
            let userID = try Self.pathID(in: context, of: "user")
            try context.authorize(.write, userID: userID)
            let body = try await self.decode(PostsBody.self, from: request)
            guard (1...Self.maximumPostsPerRequest).contains(body.posts.count) else {
                throw ServiceError(.invalidInput, .badRequest, "posts must hold 1 to \(Self.maximumPostsPerRequest) posts, got \(body.posts.count)")
            }
            var records: [Numbered<PostRecord>] = []
            for (position, post) in body.posts.enumerated() {
                let record = PostRecord(
                    id: post.id, userID: userID, text: post.text, topics: post.topics ?? [], hashtags: post.hashtags ?? [],
                    platform: post.platform, publishedAt: post.publishedAt, views: post.views ?? 0,
                    likes: post.likes ?? 0, reposts: post.reposts ?? 0)
                if let problem = record.problem() {
                    throw ServiceError(.invalidInput, .badRequest, "posts[\(position)].\(problem.field) \(problem.message)")
                }
                records.append(Numbered(line: position, record: record))
            }
            guard Set(records.map(\.record.id)).count == records.count else {
                throw ServiceError(.invalidInput, .badRequest, "two posts of the request share an id")
            }
            try await self.requireUser(userID)
            let counts = try await self.store.importPosts(records, source: "posts")
            self.engine.invalidateContexts()
            // The creator's new or edited posts are embedded now, so the next brief-aware context finds
            // them. They are stored either way: if the embedder fails, the next backfill embeds them.
            do {
                try await self.engine.embedPosts(records.map(\.record))
            } catch {
                self.configuration.logger.warning("posts of creator \(userID) stored but not embedded yet: \(error)")
            }
            return try Self.json(WriteCounts(counts), status: .created)
        }

        router.on("/v1/users/{id}/embedding/refresh", .post, in: self.routes) { request, context in
            let userID = try Self.pathID(in: context, of: "user")
            let principal = try context.authorize(.write, userID: userID)
            let force: Bool
            switch request.uri.queryParameters.get("force") {
            case nil, "false": force = false
            case "true": force = true
            case let other?: throw ServiceError(.invalidInput, .badRequest, "force must be true or false, got \"\(other)\"")
            }
            // A forced refresh always calls the (paid) embedder: it counts against the caller's limit.
            if force { try self.embedderLimiter.admit(principal, what: "forced embedding refreshes and text searches") }
            let refresh = try await self.engine.refreshEmbedding(userID: userID, force: force)
            return try Self.json(RefreshAnswer(userID: userID, embedded: refresh.embedded, model: self.engine.embedder.modelID))
        }

        router.on("/v1/users/{id}/context", .get, in: self.routes) { request, context in
            let userID = try Self.pathID(in: context, of: "user")
            let principal = try context.authorize(.read, userID: userID)
            var options = try Self.contextOptions(from: request)
            // A brief calls the embedder (unless cached): a paid one counts against the caller's limit.
            if options.brief != nil, !(self.engine.embedder is HashingEmbedder) {
                try self.embedderLimiter.admit(principal, what: "forced embedding refreshes and text searches")
            }
            // Embedding a missing or stale profile writes to the store: only for callers who may write.
            options.embedsOnDemand = principal.may(.write, userID: userID)
            let started = ContinuousClock.now
            let personalization = try await self.engine.context(for: userID, options: options)
            self.metrics.recordEngine("context", mode: personalization.search.mode, duration: ContinuousClock.now - started)
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: personalization.jsonData())))
        }

        router.on("/v1/users/{id}/score", .post, in: self.routes) { request, context in
            let userID = try Self.pathID(in: context, of: "user")
            try context.authorize(.read, userID: userID)
            let body = try await self.decode(ScoreBody.self, from: request)
            let score = try await self.engine.score(userID: userID, draft: .init(text: body.text, platform: body.platform, at: body.at))
            return try Self.json(score)
        }
    }

    /// `POST /v1/users/{id}/score`'s body.
    struct ScoreBody: Decodable {
        /// The draft (1…10,000 characters).
        var text: String
        /// The platform; the creator's most used one without it.
        var platform: String?
        /// When it would go out (ISO 8601); now without it.
        var at: Date?
    }

    /// The context options of a request's query: `k`, `budget`, `nprobe`, `exemplars`, each
    /// within the engine's documented caps (400 beyond), and `brief` (at most
    /// ``PersonalizationEngine/maximumBriefLength`` characters; blank is none).
    static func contextOptions(from request: Request) throws(ServiceError) -> PersonalizationEngine.ContextOptions {
        typealias Options = PersonalizationEngine.ContextOptions
        var options = Options()
        options.similarCreators = try integer("k", in: request, range: 1...Options.maximumSimilarCreators, default: options.similarCreators)!
        options.tokenBudget = try integer("budget", in: request, range: 100...Options.maximumTokenBudget, default: options.tokenBudget)!
        options.exemplars = try integer("exemplars", in: request, range: 0...Options.maximumExemplars, default: options.exemplars)!
        if let nprobe = try integer("nprobe", in: request, range: 1...4_096, default: nil) { options.mode = .partitioned(nprobe: nprobe) }
        options.brief = try brief(request.uri.queryParameters.get("brief"))
        return options
    }

    /// A brief as the engine takes it: 400 beyond ``PersonalizationEngine/maximumBriefLength`` characters.
    static func brief(_ text: String?) throws(ServiceError) -> String? {
        guard let text else { return nil }
        guard text.count <= PersonalizationEngine.maximumBriefLength else {
            throw ServiceError(
                .invalidInput, .badRequest, "brief holds at most \(PersonalizationEngine.maximumBriefLength) characters, got \(text.count)")
        }
        return text
    }

    /// 404 unless `userID` is stored.
    func requireUser(_ userID: Int64) async throws(ServiceError) {
        let profile: ProfileStore.ProfileWithPosts?
        do { profile = try await store.profile(userID: userID, postLimit: 0) } catch { throw ServiceError.from(error) }
        guard profile != nil else { throw ServiceError(.unknownUser, .notFound, "user \(userID) is not stored") }
    }
}

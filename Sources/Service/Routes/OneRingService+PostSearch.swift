internal import Embedding
internal import Foundation
internal import Hummingbird
internal import Personalization
internal import ProfileStore

extension OneRingService {
    /// `POST /v1/search/posts`: posts that best match a text or a vector, optionally of one
    /// creator, one cohort, or a time window.
    struct PostSearchBody {
        var text: String?
        var vector: [Float]?
        var k: Int?
        var userID: Int64?
        var cohort: Int?
        var nprobe: Int?
        var since: Date?
        var until: Date?

        /// The body's fields, each checked for its type; unknown fields are ignored.
        init(_ json: JSONValue) throws(ServiceError) {
            guard case .object(let members) = json else { throw Self.mismatch("the body", "an object") }
            for (key, value) in members {
                switch (key, value) {
                case (_, .null): continue
                case ("text", .string(let text)): self.text = text
                case ("vector", .array(let elements)):
                    vector = try elements.map { (element) throws(ServiceError) -> Float in
                        guard case .number(let number) = element, Float(number).isFinite else {
                            throw Self.mismatch(key, "an array of float32 numbers")
                        }
                        return Float(number)
                    }
                case ("k", .number(let number)): k = try Self.integer(number, key)
                case ("user_id", .number(let number)): userID = Int64(try Self.integer(number, key))
                case ("cohort", .number(let number)): cohort = try Self.integer(number, key)
                case ("nprobe", .number(let number)): nprobe = try Self.integer(number, key)
                case ("since", .string(let text)): since = try Self.date(text, key)
                case ("until", .string(let text)): until = try Self.date(text, key)
                case ("text", _), ("since", _), ("until", _): throw Self.mismatch(key, "a string")
                case ("vector", _): throw Self.mismatch(key, "an array of numbers")
                case ("k", _), ("user_id", _), ("cohort", _), ("nprobe", _): throw Self.mismatch(key, "an integer")
                default: continue
                }
            }
        }

        private static func integer(_ number: Double, _ key: String) throws(ServiceError) -> Int {
            guard let integer = Int(exactly: number) else { throw mismatch(key, "an integer") }
            return integer
        }

        private static func date(_ text: String, _ key: String) throws(ServiceError) -> Date {
            guard let date = try? Date(text, strategy: .iso8601) else { throw mismatch(key, "an ISO 8601 date") }
            return date
        }

        private static func mismatch(_ key: String, _ expected: String) -> ServiceError {
            ServiceError(.invalidJSON, .badRequest, "\(key): expected \(expected)")
        }
    }

    struct PostSearchAnswer: Encodable {
        struct Result: Encodable {
            var postID: Int64
            var authorID: Int64
            var authorHandle: String
            var platform: String
            var publishedAt: Date
            var text: String
            var hashtags: [String]
            var topics: [String]
            var score: Double
            var breakdown: Breakdown
        }

        struct Breakdown: Encodable {
            var brief: Double
            var lexical: Double?
        }

        var results: [Result]
        var tookMilliseconds: Double
    }

    /// `POST /v1/search/posts`. A creator's token searches any creator's posts (they are public
    /// on the platforms); a text query calls the embedder, which counts against the caller's
    /// limit when it is a paid one.
    func addPostSearchRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/v1/search/posts", .post, in: self.routes) { request, context in
            let principal = try context.authorize(.read)
            let buffer = try await self.body(of: request)
            guard buffer.readableBytes > 0 else { throw ServiceError(.invalidJSON, .badRequest, "the request needs a JSON body") }
            let body = try buffer.withUnsafeReadableBytes { bytes throws(ServiceError) in
                try PostSearchBody(JSONValueParser.parse(bytes.bindMemory(to: UInt8.self)))
            }
            let options = PersonalizationEngine.PostSearchOptions(
                k: body.k ?? 10, userID: body.userID, cohort: body.cohort, since: body.since, until: body.until, nprobe: body.nprobe ?? 3)
            if body.text != nil, !(self.engine.embedder is HashingEmbedder) {
                try self.embedderLimiter.admit(principal, what: "forced embedding refreshes and text searches")
            }
            let started = ContinuousClock.now
            let hits = try await self.engine.searchPosts(text: body.text, vector: body.vector, options: options)
            let posts: [PostRecord], handles: [Int64: String]
            do {
                posts = try await self.store.posts(ids: hits.map(\.postID))
                handles = try await self.store.handles(userIDs: Array(Set(hits.map(\.authorID))))
            } catch {
                throw ServiceError.from(error)
            }
            let byID = Dictionary(uniqueKeysWithValues: posts.map { ($0.id, $0) })
            let took = ContinuousClock.now - started
            self.metrics.recordEngine("post_search", mode: body.text == nil ? "vector" : "text", duration: took)
            return try Self.json(
                PostSearchAnswer(
                    results: hits.compactMap { hit in
                        // A post deleted since it was scored is left out.
                        byID[hit.postID].map { post in
                            .init(
                                postID: post.id, authorID: post.userID, authorHandle: handles[post.userID] ?? "", platform: post.platform,
                                publishedAt: post.publishedAt, text: post.text, hashtags: post.hashtags, topics: post.topics, score: hit.score,
                                breakdown: .init(brief: hit.brief, lexical: hit.lexical))
                        }
                    },
                    tookMilliseconds: took.milliseconds))
        }
    }
}

internal import Embedding
internal import Foundation
internal import Hummingbird
internal import Personalization
internal import VectorMath

extension OneRingService {
    /// `POST /v1/search`: similar creators to a stored creator, a text or a vector. Parsed with
    /// `JSONValueParser`: a 1,536-number vector through `JSONDecoder` cost more than the search.
    struct SearchBody {
        /// Exactly one of these three.
        var userID: Int64?
        var text: String?
        var vector: [Float]?
        var k: Int?
        /// `exact` (default) or `partitioned`.
        var mode: String?
        var nprobe: Int?
        var cohort: Int?
        var exclude: [Int64]?

        /// The body's fields, each checked for its type; unknown fields are ignored.
        init(_ json: JSONValue) throws(ServiceError) {
            guard case .object(let members) = json else { throw Self.mismatch("the body", "an object") }
            for (key, value) in members {
                switch key {
                case "user_id": userID = try Self.integer(value, key).map(Int64.init)
                case "text": text = try Self.string(value, key)
                case "vector": vector = try Self.numbers(value, key)?.map(Float.init)
                case "k": k = try Self.integer(value, key)
                case "mode": mode = try Self.string(value, key)
                case "nprobe": nprobe = try Self.integer(value, key)
                case "cohort": cohort = try Self.integer(value, key)
                case "exclude":
                    exclude = try Self.numbers(value, key)?.map { number throws(ServiceError) -> Int64 in
                        guard let id = Int64(exactly: number) else { throw Self.mismatch(key, "an array of integers") }
                        return id
                    }
                default: continue
                }
            }
        }

        private static func mismatch(_ key: String, _ expected: String) -> ServiceError {
            ServiceError(.invalidJSON, .badRequest, "\(key): expected \(expected)")
        }

        private static func integer(_ value: JSONValue, _ key: String) throws(ServiceError) -> Int? {
            switch value {
            case .null: return nil
            case .number(let number):
                guard let integer = Int(exactly: number) else { throw mismatch(key, "an integer") }
                return integer
            default: throw mismatch(key, "an integer")
            }
        }

        private static func string(_ value: JSONValue, _ key: String) throws(ServiceError) -> String? {
            switch value {
            case .null: return nil
            case .string(let text): return text
            default: throw mismatch(key, "a string")
            }
        }

        private static func numbers(_ value: JSONValue, _ key: String) throws(ServiceError) -> [Double]? {
            switch value {
            case .null: return nil
            case .array(let elements):
                var numbers: [Double] = []
                numbers.reserveCapacity(elements.count)
                for element in elements {
                    guard case .number(let number) = element else { throw mismatch(key, "an array of numbers") }
                    numbers.append(number)
                }
                return numbers
            default: throw mismatch(key, "an array of numbers")
            }
        }
    }

    struct SearchAnswer: Encodable {
        struct Result: Encodable {
            var id: Int64
            var score: Float
        }

        var results: [Result]
        var mode: String
        var nprobe: Int?
        var tookMilliseconds: Double
    }

    /// The most results one search returns.
    static let maximumK = 1_000

    /// `POST /v1/search`. The caller is authenticated before the body is read (the group's
    /// middleware); what it may search is checked once the body says.
    func addSearchRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/v1/search", .post, in: self.routes) { request, context in
            let buffer = try await self.body(of: request)
            guard buffer.readableBytes > 0 else { throw ServiceError(.invalidJSON, .badRequest, "the request needs a JSON body") }
            let body = try buffer.withUnsafeReadableBytes { bytes throws(ServiceError) in
                try SearchBody(JSONValueParser.parse(bytes.bindMemory(to: UInt8.self)))
            }
            let k = body.k ?? 10
            guard (1...Self.maximumK).contains(k) else { throw ServiceError(.invalidInput, .badRequest, "k must be in 1...\(Self.maximumK), got \(k)") }
            guard [body.userID != nil, body.text != nil, body.vector != nil].count(where: { $0 }) == 1 else {
                throw ServiceError(.invalidInput, .badRequest, "give exactly one of user_id, text and vector")
            }
            let mode: PersonalizationEngine.SearchMode
            switch body.mode ?? "exact" {
            case "exact":
                guard body.nprobe == nil else { throw ServiceError(.invalidInput, .badRequest, "nprobe is for mode \"partitioned\"") }
                mode = .exact
            case "partitioned":
                let nprobe = body.nprobe ?? 3
                guard (1...4_096).contains(nprobe) else { throw ServiceError(.invalidInput, .badRequest, "nprobe must be in 1...4096, got \(nprobe)") }
                mode = .partitioned(nprobe: nprobe)
            case let other:
                throw ServiceError(.invalidInput, .badRequest, "mode must be \"exact\" or \"partitioned\", got \"\(other)\"")
            }
            // A vector that cannot be normalised (zero) is refused by the engine before it joins a
            // coalesced batch: the norm is taken in double precision there.
            if let vector = body.vector, vector.contains(where: { !$0.isFinite }) {
                throw ServiceError(.invalidInput, .badRequest, "vector holds a number beyond float32's range")
            }
            guard (body.exclude?.count ?? 0) <= Self.maximumK else {
                throw ServiceError(.invalidInput, .badRequest, "exclude holds at most \(Self.maximumK) ids")
            }
            let excluded = Set(body.exclude ?? [])
            let started = ContinuousClock.now
            let neighbors: [Neighbor]
            if let userID = body.userID {
                try context.authorize(.read, userID: userID)
                neighbors = try await self.engine.nearestCreators(toUser: userID, k: k, mode: mode, cohort: body.cohort, excluding: excluded)
            } else {
                let principal = try context.authorize(.read)
                let vector: [Float]
                if let text = body.text {
                    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text.utf8.count <= 20_000 else {
                        throw ServiceError(.invalidInput, .badRequest, "text must hold 1 to 20,000 bytes of words")
                    }
                    // Every text search calls the (paid) embedder: it counts against the caller's limit.
                    try self.embedderLimiter.admit(principal, what: "forced embedding refreshes and text searches")
                    vector = try await self.engine.embedder.embed([ProfileDocument(name: "", bio: text, posts: [])])
                } else {
                    vector = body.vector!
                    guard vector.count == self.store.configuration.dimensions else {
                        throw ServiceError(
                            .invalidInput, .badRequest, "vector has \(vector.count) dimensions; the index holds \(self.store.configuration.dimensions)")
                    }
                }
                neighbors = try await self.engine.nearestCreators(to: vector, k: k, mode: mode, cohort: body.cohort, excluding: excluded)
            }
            let took = ContinuousClock.now - started
            let modeName = mode == .exact ? "exact" : "partitioned"
            self.metrics.recordEngine("search", mode: modeName, duration: took)
            var nprobe: Int?
            if case .partitioned(let probes) = mode { nprobe = probes }
            return try Self.json(
                SearchAnswer(
                    results: neighbors.map { .init(id: $0.id, score: $0.score) }, mode: modeName, nprobe: nprobe,
                    tookMilliseconds: took.milliseconds))
        }
    }
}

internal import Embedding
internal import Foundation
internal import Hummingbird
internal import Personalization
internal import VectorMath

extension OneRingService {
    /// `POST /v1/search`: similar creators to a stored creator, a text or a vector.
    struct SearchBody: Decodable {
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

        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case text, vector, k, mode, nprobe, cohort, exclude
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

    func addSearchRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/search") { request, _ in
            let body = try await self.decode(SearchBody.self, from: request)
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
            guard (body.exclude?.count ?? 0) <= Self.maximumK else {
                throw ServiceError(.invalidInput, .badRequest, "exclude holds at most \(Self.maximumK) ids")
            }
            let excluded = Set(body.exclude ?? [])
            let started = ContinuousClock.now
            let neighbors: [Neighbor]
            if let userID = body.userID {
                try await self.authorize(request, .read, userID: userID)
                neighbors = try await self.engine.nearestCreators(toUser: userID, k: k, mode: mode, cohort: body.cohort, excluding: excluded)
            } else {
                try await self.authorize(request, .read)
                let vector: [Float]
                if let text = body.text {
                    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text.utf8.count <= 20_000 else {
                        throw ServiceError(.invalidInput, .badRequest, "text must hold 1 to 20,000 bytes of words")
                    }
                    vector = try await self.engine.embedder.embed([ProfileDocument(name: "", bio: text, posts: [])])
                } else {
                    vector = body.vector!
                    guard vector.count == self.store.configuration.dimensions else {
                        throw ServiceError(.invalidInput, .badRequest, "vector has \(vector.count) dimensions; the index holds \(self.store.configuration.dimensions)")
                    }
                }
                neighbors = try await self.engine.nearestCreators(to: vector, k: k, mode: mode, cohort: body.cohort, excluding: excluded)
            }
            let took = ContinuousClock.now - started
            let modeName = mode == .exact ? "exact" : "partitioned"
            self.metrics.recordEngine("search", mode: modeName, duration: took)
            var nprobe: Int?
            if case .partitioned(let probes) = mode { nprobe = probes }
            return try Self.json(SearchAnswer(results: neighbors.map { .init(id: $0.id, score: $0.score) }, mode: modeName, nprobe: nprobe,
                                              tookMilliseconds: took.milliseconds))
        }
    }
}

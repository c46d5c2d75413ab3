internal import Foundation
internal import Generation
internal import Hummingbird
internal import ProfileStore

extension OneRingService {
    /// A generation job as the API shows it.
    struct GenerationAnswer: Encodable {
        struct Step: Encodable {
            var key: String
            var span: GenerationSpan
        }

        var id: Int64
        var userID: Int64
        var status: String
        var attempts: Int
        var request: GenerationRequest?
        /// The completed steps, in the order they completed.
        var steps: [Step]
        var result: GenerationResult?
        var error: String?
        var failedStep: String?
        var traceID: Int64?
        var createdAt: Date
        var startedAt: Date?
        var finishedAt: Date?

        init(_ record: GenerationRecord) {
            id = record.id
            userID = record.userID
            status = record.status.rawValue
            attempts = record.attempts
            request = try? JSONDecoder().decode(GenerationRequest.self, from: Data(record.requestJSON.utf8))
            steps = record.steps.map { Step(key: $0.key, span: $0.value.span) }.sorted { $0.span.startedAt < $1.span.startedAt }
            result = record.resultJSON.flatMap { try? OneRingService.jsonDecoder.decode(GenerationResult.self, from: Data($0.utf8)) }
            error = record.error
            failedStep = record.failedStep
            traceID = record.traceID
            createdAt = record.createdAt
            startedAt = record.startedAt
            finishedAt = record.finishedAt
        }

        enum CodingKeys: String, CodingKey {
            case id
            case userID = "user_id"
            case status, attempts, request, steps, result, error
            case failedStep = "failed_step"
            case traceID = "trace_id"
            case createdAt = "created_at"
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }
    }

    /// Durable generations: `POST /v1/generations` queues one (202 + Location), `GET
    /// /v1/generations/{id}` shows its steps and result, `POST /v1/generations/{id}/retry` queues
    /// a failed one again (it resumes after its last completed step), and `GET /v1/traces/{id}`
    /// returns a generation's trace with a span per step. A creator sees only their own: another
    /// creator's id is answered 404, like an id that does not exist.
    func addGenerationRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/v1/generations", .post, in: self.routes) { request, context in
            var generation = try await self.decode(GenerateBody.self, from: request).request()
            let principal = try context.authorize(.generate, userID: generation.userID)
            generation.embedsOnDemand = principal.may(.write, userID: generation.userID)
            try await self.admitGeneration(userID: generation.userID)
            let record: GenerationRecord
            do { record = try await self.generationRunner.submit(generation) } catch { throw ServiceError.from(error) }
            return try Self.json(GenerationAnswer(record), status: .accepted, headers: [.location: "/v1/generations/\(record.id)"])
        }

        router.on("/v1/generations/{id}", .get, in: self.routes) { _, context in
            try Self.json(GenerationAnswer(try await self.ownGeneration(in: context)))
        }

        router.on("/v1/generations/{id}/retry", .post, in: self.routes) { _, context in
            let record = try await self.ownGeneration(in: context)
            guard record.status == .failed else {
                throw ServiceError(.conflict, .conflict, "generation \(record.id) is \(record.status.rawValue): only a failed generation is retried")
            }
            try await self.admitGeneration(userID: record.userID)
            guard let queued = try await self.store.retryGeneration(id: record.id) else {
                throw ServiceError(.unknownGeneration, .notFound, "there is no generation \(record.id)")
            }
            self.generationRunner.wake()
            return try Self.json(GenerationAnswer(queued), status: .accepted, headers: [.location: "/v1/generations/\(record.id)"])
        }

        router.on("/v1/traces/{id}", .get, in: self.routes) { _, context in
            let id = try Self.pathID(in: context, of: "trace")
            guard let trace = try await self.store.generationTrace(id: id), context.principal?.may(.generate, userID: trace.userID) == true else {
                throw ServiceError(.unknownGeneration, .notFound, "there is no trace \(id)")
            }
            return try Self.json(trace)
        }
    }

    /// The generation in the path, when the caller may see it: 404 otherwise.
    private func ownGeneration(in context: OneRingRequestContext) async throws(ServiceError) -> GenerationRecord {
        let id = try Self.pathID(in: context, of: "generation")
        let record: GenerationRecord?
        do { record = try await store.generation(id: id) } catch { throw ServiceError.from(error) }
        guard let record, context.principal?.may(.generate, userID: record.userID) == true else {
            throw ServiceError(.unknownGeneration, .notFound, "there is no generation \(id)")
        }
        return record
    }
}

internal import Foundation
internal import Hummingbird
internal import Personalization
internal import ProfileStore

extension OneRingService {
    /// A cohort as `GET /v1/cohorts` lists it.
    struct CohortSummary: Encodable {
        var id: Int
        var label: String
        var terms: [String]
        var size: Int
    }

    struct CohortList: Encodable {
        var runID: Int64
        var createdAt: Date
        var model: String
        var k: Int
        var cohorts: [CohortSummary]
    }

    struct CohortDetail: Encodable {
        var runID: Int64
        var cohort: Cohort
    }

    /// `POST /v1/cohorts/rebuild`'s optional body.
    struct RebuildBody: Decodable {
        /// A number of cohorts, or "auto".
        var k: String?
        var seed: UInt64?
        var restarts: Int?

        enum CodingKeys: String, CodingKey { case k, seed, restarts }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? container.decodeIfPresent(Int.self, forKey: .k) {
                k = String(number)
            } else {
                k = try container.decodeIfPresent(String.self, forKey: .k)
            }
            seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
            restarts = try container.decodeIfPresent(Int.self, forKey: .restarts)
        }
    }

    /// A job as the API shows it.
    struct JobAnswer: Encodable {
        var id: Int64
        var kind: String
        var status: String
        var attempts: Int
        var payload: JSONValue
        var progress: JSONValue
        var result: JSONValue?
        var error: String?
        var createdAt: Date
        var startedAt: Date?
        var finishedAt: Date?

        init(_ job: JobRecord) {
            id = job.id
            kind = job.kind
            status = job.status.rawValue
            attempts = job.attempts
            payload = JSONValue(json: job.payloadJSON)
            progress = JSONValue(json: job.progressJSON)
            result = job.resultJSON.map(JSONValue.init(json:))
            error = job.error
            createdAt = job.createdAt
            startedAt = job.startedAt
            finishedAt = job.finishedAt
        }
    }

    /// Cohorts, rebuilds, jobs and generation traces.
    func addCohortRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/v1/cohorts", .get, in: self.routes) { request, context in
            try context.authorize(.read)
            let run = try self.activeRun()
            return try Self.json(CohortList(runID: run.record.id, createdAt: run.record.createdAt, model: run.record.model, k: run.record.k,
                                            cohorts: run.cohorts.map { .init(id: $0.id, label: $0.label, terms: $0.terms, size: $0.size) }))
        }

        router.on("/v1/cohorts/{id}", .get, in: self.routes) { request, context in
            try context.authorize(.read)
            let run = try self.activeRun()
            guard let text = context.parameters.get("id"), let id = Int(text), let cohort = run.cohorts.first(where: { $0.id == id }) else {
                throw ServiceError(.unknownCohort, .notFound, "cohort \(context.parameters.get("id") ?? "") is not in run \(run.record.id) (0..<\(run.cohorts.count))")
            }
            return try Self.json(CohortDetail(runID: run.record.id, cohort: cohort))
        }

        router.on("/v1/cohorts/rebuild", .post, in: self.routes) { request, context in
            try context.authorize(.admin)
            let buffer = try await self.body(of: request)
            let body = buffer.readableBytes == 0 ? nil : try Self.decode(RebuildBody.self, from: Data(buffer: buffer))
            if let k = body?.k, k != "auto", (Int(k) ?? 0) < 2 {
                throw ServiceError(.invalidInput, .badRequest, "k must be an integer of at least 2, or \"auto\"")
            }
            if let restarts = body?.restarts, !(1...20).contains(restarts) {
                throw ServiceError(.invalidInput, .badRequest, "restarts must be in 1...20")
            }
            if let seed = body?.seed, seed > 1 << 53 {
                throw ServiceError(.invalidInput, .badRequest, "seed must be at most 2^53 (a JSON number)")
            }
            var payload: [String: JSONValue] = [:]
            if let k = body?.k { payload["k"] = .string(k) }
            if let seed = body?.seed { payload["seed"] = .number(Double(seed)) }
            if let restarts = body?.restarts { payload["restarts"] = .number(Double(restarts)) }
            let payloadJSON = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
            let job = try await self.store.enqueueJob(kind: JobRunner.rebuildKind, payloadJSON: payloadJSON)
            return try Self.json(JobAnswer(job), status: .accepted, headers: [.location: "/v1/jobs/\(job.id)"])
        }

        router.on("/v1/jobs", .get, in: self.routes) { request, context in
            try context.authorize(.admin)
            let limit = try Self.integer("limit", in: request, range: 1...500, default: 50)!
            return try Self.json(["jobs": try await self.store.jobs(limit: limit).map(JobAnswer.init)])
        }

        router.on("/v1/jobs/{id}", .get, in: self.routes) { request, context in
            try context.authorize(.admin)
            let id = try Self.pathID(in: context, of: "job")
            guard let job = try await self.store.job(id: id) else { throw ServiceError(.unknownJob, .notFound, "there is no job \(id)") }
            return try Self.json(JobAnswer(job))
        }

        router.on("/v1/traces", .get, in: self.routes) { request, context in
            try context.authorize(.admin)
            let limit = try Self.integer("limit", in: request, range: 1...500, default: 50)!
            return try Self.json(["traces": try await self.store.generationTraces(limit: limit)])
        }
    }

    /// The engine's active run, or 404 when cohorts were never built.
    func activeRun() throws(ServiceError) -> (record: CohortRunRecord, cohorts: [Cohort]) {
        guard let run = engine.activeRun else {
            throw ServiceError(.unknownCohort, .notFound, "there is no cohort run yet: POST /v1/cohorts/rebuild")
        }
        return run
    }
}

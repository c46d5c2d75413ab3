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
        /// A JSON number of cohorts, or the string "auto" (nothing else: not "64", not "+5").
        var k: String?
        var seed: UInt64?
        var restarts: Int?

        enum CodingKeys: String, CodingKey { case k, seed, restarts }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? container.decodeIfPresent(Int.self, forKey: .k) {
                k = String(number)
            } else if let text = try container.decodeIfPresent(String.self, forKey: .k) {
                guard text == "auto" else {
                    throw DecodingError.dataCorruptedError(forKey: .k, in: container, debugDescription: "k must be a number or \"auto\"")
                }
                k = text
            }
            seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
            restarts = try container.decodeIfPresent(Int.self, forKey: .restarts)
        }
    }

    /// The most cohorts a rebuild may make: a cohort means something with ten creators or more
    /// on average, and 512 is plenty for any platform's niches.
    static func maximumCohorts(creators: Int) -> Int { max(2, min(512, creators / 10)) }

    /// A page of `GET /v1/jobs`.
    struct JobPage: Encodable {
        var jobs: [JobAnswer]
        /// The next page's URL, when this one was full.
        var next: String?
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
            return try Self.json(
                CohortList(
                    runID: run.record.id, createdAt: run.record.createdAt, model: run.record.model, k: run.record.k,
                    cohorts: run.cohorts.map { .init(id: $0.id, label: $0.label, terms: $0.terms, size: $0.size) }))
        }

        router.on("/v1/cohorts/{id}", .get, in: self.routes) { request, context in
            try context.authorize(.read)
            let run = try self.activeRun()
            guard let text = context.parameters.get("id"), let id = Int(text), let cohort = run.cohorts.first(where: { $0.id == id }) else {
                throw ServiceError(
                    .unknownCohort, .notFound, "cohort \(context.parameters.get("id") ?? "") is not in run \(run.record.id) (0..<\(run.cohorts.count))")
            }
            return try Self.json(CohortDetail(runID: run.record.id, cohort: cohort))
        }

        router.on("/v1/cohorts/rebuild", .post, in: self.routes) { request, context in
            try context.authorize(.admin)
            let buffer = try await self.body(of: request)
            let body = buffer.readableBytes == 0 ? nil : try Self.decode(RebuildBody.self, from: Data(buffer: buffer))
            let most = Self.maximumCohorts(creators: self.engine.status.creators)
            if let k = body?.k, k != "auto", !(2...most).contains(Int(k) ?? 0) {
                throw ServiceError(
                    .invalidInput, .badRequest, "k must be \"auto\" or an integer in 2...\(most) (ten creators a cohort at least, 512 at most), got \(k)")
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
            let queued = try await self.store.enqueueJobUnlessActive(kind: JobRunner.rebuildKind, payloadJSON: payloadJSON)
            guard !queued.existing else {
                var conflict = ServiceError(
                    .conflict, .conflict,
                    "rebuild job \(queued.job.id) is \(queued.job.status.rawValue) already: follow it, or cancel it with POST /v1/jobs/\(queued.job.id)/cancel")
                conflict.location = "/v1/jobs/\(queued.job.id)"
                throw conflict
            }
            return try Self.json(JobAnswer(queued.job), status: .accepted, headers: [.location: "/v1/jobs/\(queued.job.id)"])
        }

        router.on("/v1/jobs", .get, in: self.routes) { request, context in
            try context.authorize(.admin)
            let limit = try Self.integer("limit", in: request, range: 1...500, default: 50)!
            let before = try Self.integer("before", in: request, range: 1...Int.max, default: nil).map(Int64.init)
            let jobs = try await self.store.jobs(limit: limit, before: before)
            let next = jobs.count == limit ? jobs.last.map { "/v1/jobs?limit=\(limit)&before=\($0.id)" } : nil
            return try Self.json(JobPage(jobs: jobs.map(JobAnswer.init), next: next))
        }

        router.on("/v1/jobs/{id}/cancel", .post, in: self.routes) { _, context in
            try context.authorize(.admin)
            let id = try Self.pathID(in: context, of: "job")
            guard let (job, cancelled) = try await self.store.cancelJob(id: id) else { throw ServiceError(.unknownJob, .notFound, "there is no job \(id)") }
            guard cancelled else {
                throw ServiceError(
                    .conflict, .conflict,
                    "job \(id) is \(job.status.rawValue): only a queued job can be cancelled (a running rebuild finishes, so no run is left half-written)")
            }
            return try Self.json(JobAnswer(job))
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

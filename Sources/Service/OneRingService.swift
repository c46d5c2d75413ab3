internal import Foundation
internal import Generation
internal import Hummingbird
internal import Logging
internal import Personalization
internal import ProfileStore
internal import Synchronization
internal import Writer

/// What the routes share: the store, the engine, the authenticator, the metrics and the writer.
final class OneRingService: Sendable {
    let configuration: ServiceConfiguration
    let store: ProfileStore
    let engine: PersonalizationEngine
    let authenticator: Authenticator
    let metrics: ServiceMetrics
    let startedAt = Date()
    /// The dashboard's cohort map, drawn once per cohort run.
    let mapCache = Mutex<(runID: Int64, svg: String)?>(nil)
    /// The generation pipeline, streamed or run as a job.
    let pipeline: GenerationPipeline
    /// Runs the generation jobs (started as a service when the configuration runs jobs).
    let generationRunner: GenerationRunner
    /// Every route registered, for 405 answers.
    let routes = RouteTable()
    /// Signed-in dashboard browsers.
    let dashboardSessions = DashboardSessions()
    /// Generations streaming now.
    let generationSlots: GenerationSlots
    /// Paid embedder calls per caller.
    let embedderLimiter: PrincipalRateLimiter

    init(
        configuration: ServiceConfiguration, store: ProfileStore, engine: PersonalizationEngine, authenticator: Authenticator,
        metrics: ServiceMetrics
    ) throws(ServiceError) {
        self.configuration = configuration
        self.store = store
        self.engine = engine
        self.authenticator = authenticator
        self.metrics = metrics
        generationSlots = GenerationSlots(overall: configuration.concurrentGenerations.overall, perCreator: configuration.concurrentGenerations.perCreator)
        embedderLimiter = PrincipalRateLimiter(limit: configuration.embedderLimit)
        let providers: ProviderFactory
        switch configuration.writer {
        case .offline:
            providers = GenerationPipeline.offlineProviders
        case .openAICompatible(let settings):
            let shared: OpenAICompatibleProvider
            do { shared = try OpenAICompatibleProvider(configuration: settings, logger: configuration.logger) } catch {
                throw ServiceError(.internalError, .internalServerError, "the LLM provider: \(error.message)")
            }
            providers = { _, _, _, _ in shared }
        }
        do {
            pipeline = try GenerationPipeline(
                engine: engine, makeProvider: providers, retry: configuration.generations.retry, logger: configuration.logger)
        } catch {
            throw ServiceError(.internalError, .internalServerError, "the generation pipeline: \(error.message)")
        }
        generationRunner = GenerationRunner(pipeline: pipeline, configuration: configuration.generations.runner, logger: configuration.logger)
    }

    // MARK: Requests

    /// The body of `request`, empty when it has none: 413 beyond the size limit.
    func body(of request: Request) async throws(ServiceError) -> ByteBuffer {
        do { return try await request.body.collect(upTo: configuration.maximumBodyBytes) } catch {
            throw ServiceError.from(error)
        }
    }

    /// The JSON body of `request` as `Body`: 413 beyond the size limit, 400 for anything that is not that JSON.
    func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws(ServiceError) -> Body {
        try Self.decode(type, from: Data(buffer: try await body(of: request)))
    }

    /// `data` as `Body`, with the failing field named.
    static func decode<Body: Decodable>(_ type: Body.Type, from data: Data) throws(ServiceError) -> Body {
        guard !data.isEmpty else { throw ServiceError(.invalidJSON, .badRequest, "the request needs a JSON body") }
        do {
            return try jsonDecoder.decode(type, from: data)
        } catch let error as ServiceError {
            throw error
        } catch let error as DecodingError {
            throw ServiceError(.invalidJSON, .badRequest, Self.describe(error))
        } catch {
            throw ServiceError(.invalidJSON, .badRequest, "the body is not valid JSON: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the body" : names.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context) == "the body" ? "" : path(context) + ".")\(key.stringValue) is required"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default: return "the body is not the expected JSON"
        }
    }

    static let jsonDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `value` as a JSON response.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws(ServiceError) -> Response {
        let data: Data
        do { data = try jsonEncoder.encode(value) } catch {
            throw ServiceError(.internalError, .internalServerError, "cannot encode the response: \(error)")
        }
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The positive id in the path's `{id}`; `what` names it in the error ("user", "job").
    static func pathID(in context: OneRingRequestContext, of what: String) throws(ServiceError) -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw ServiceError(.invalidInput, .badRequest, "the \(what) id must be a positive integer")
        }
        return id
    }

    /// An integer query parameter in `range`, or `fallback` when absent.
    static func integer(_ name: String, in request: Request, range: ClosedRange<Int>, default fallback: Int?) throws(ServiceError) -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ServiceError(.invalidInput, .badRequest, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }
}

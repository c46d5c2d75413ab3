internal import Foundation
internal import Generation
public import Hummingbird
internal import NIOHTTP1
internal import Personalization
internal import ProfileStore
internal import Writer

/// Every error the service answers with: a stable code, an HTTP status and a message,
/// sent as `{"error": {"code": "…", "message": "…"}}`.
public struct ServiceError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }

        /// The body is not JSON, or not the JSON the route takes.
        public static let invalidJSON = Code("invalidJSON")
        /// A value is out of range or malformed.
        public static let invalidInput = Code("invalidInput")
        /// The body is larger than the service accepts.
        public static let bodyTooLarge = Code("bodyTooLarge")
        /// No credentials, or credentials that do not verify.
        public static let unauthenticated = Code("unauthenticated")
        /// Valid credentials without the right to this resource.
        public static let forbidden = Code("forbidden")
        /// No such route, user, cohort or job.
        public static let notFound = Code("notFound")
        public static let unknownUser = Code("unknownUser")
        public static let unknownCohort = Code("unknownCohort")
        public static let unknownJob = Code("unknownJob")
        /// No such generation or trace, or another creator's.
        public static let unknownGeneration = Code("unknownGeneration")
        /// The route exists but not with this method.
        public static let methodNotAllowed = Code("methodNotAllowed")
        /// Too many generations in the window; see `Retry-After`.
        public static let rateLimited = Code("rateLimited")
        /// A cohort rebuild is already running.
        public static let conflict = Code("conflict")
        /// A post id of the request belongs to another creator: nothing was written.
        public static let postOwnedByAnotherCreator = Code("postOwnedByAnotherCreator")
        /// The caller has too many generations running at once.
        public static let tooManyConcurrent = Code("tooManyConcurrent")
        /// The creator has no embedding and the caller may not cause one to be written.
        public static let embeddingMissing = Code("embeddingMissing")
        /// The database or the index is not available now.
        public static let unavailable = Code("unavailable")
        /// An upstream provider (embedding, LLM) failed.
        public static let upstream = Code("upstream")
        /// The client left in the middle of its request (or sent bytes that are not HTTP): its doing,
        /// answered 400 if anyone is still listening, counted as 499 and logged at debug level.
        public static let clientClosedRequest = Code("clientClosedRequest")
        /// A fault of the service itself.
        public static let internalError = Code("internal")

        public var description: String { name }
    }

    public var code: Code
    public var status: HTTPResponse.Status
    public var message: String
    /// Seconds to wait, sent as `Retry-After` (429 and 503).
    public var retryAfterSeconds: Int?
    /// The methods the path takes, sent as `Allow` with 405.
    var allow: String?
    /// Where the resource the error names is, sent as `Location` (the active job of a 409).
    var location: String?
    /// What went wrong underneath (a store's or a library's message): logged, never sent.
    var detail: String?
    /// Whether the connection closes after this answer (sent as `Connection: close`).
    var closesConnection = false

    /// An error answered with `status`.
    public init(_ code: Code, _ status: HTTPResponse.Status, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body of an error.
    struct Body: Codable {
        struct Detail: Codable {
            var code: String
            var message: String
        }

        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try publicResponse(requestID: (context as? OneRingRequestContext)?.requestID)
    }

    /// The response a caller sees: a 500 says only that the service failed, and under which
    /// request id its log holds the details (SQL text, a server's DETAIL never leave the service).
    func publicResponse(requestID: String?) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if let allow { headers[.allow] = allow }
        if let location { headers[.location] = location }
        if closesConnection { headers[.connection] = "close" }
        let body = try OneRingService.jsonEncoder.encode(Body(error: .init(code: code.name, message: publicMessage(requestID: requestID))))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The message a caller sees: a 500's says only where the log holds its cause.
    func publicMessage(requestID: String?) -> String {
        status == .internalServerError ? "the service failed; its log has the details under request id \(requestID ?? "unknown")" : message
    }

    /// This error with `detail` kept for the log.
    func with(detail: String) -> ServiceError {
        var error = self
        error.detail = detail
        return error
    }

    // MARK: Errors of the layers below

    /// The service's answer to an engine error.
    static func from(_ error: PersonalizationError) -> ServiceError {
        switch error.code {
        case .unknownUser: ServiceError(.unknownUser, .notFound, error.message)
        case .unknownCohort: ServiceError(.unknownCohort, .notFound, error.message)
        case .invalidInput: ServiceError(.invalidInput, .badRequest, error.message)
        case .notReady: ServiceError(.unavailable, .serviceUnavailable, error.message, retryAfterSeconds: 5)
        case .rebuildInProgress: ServiceError(.conflict, .conflict, error.message)
        case .notEmbedded: ServiceError(.embeddingMissing, .conflict, error.message)
        case .store: (error.underlying as? ProfileStoreError).map(from) ?? ServiceError(.unavailable, .serviceUnavailable, error.message)
        case .embedding: ServiceError(.upstream, .badGateway, error.message)
        default: ServiceError(.internalError, .internalServerError, error.message)
        }
    }

    /// The service's answer to a store error: bad input is the caller's, a lost database is a 503.
    static func from(_ error: ProfileStoreError) -> ServiceError {
        switch error.code {
        case .invalidInput, .dimensionMismatch: ServiceError(.invalidInput, .badRequest, error.message)
        case .ownedElsewhere: ServiceError(.postOwnedByAnotherCreator, .conflict, error.message)
        case .connectionFailed, .connectionLost, .poolExhausted, .cancelled, .schemaNotMigrated:
            ServiceError(.unavailable, .serviceUnavailable, "the database is not available; retry shortly", retryAfterSeconds: 5)
                .with(detail: error.message)
        default:
            ServiceError(.internalError, .internalServerError, error.message).with(detail: "\(error.file):\(error.line) sqlstate \(error.sqlState ?? "none")")
        }
    }

    /// The service's answer to a writer error that comes before any byte is streamed.
    static func from(_ error: WriterError) -> ServiceError {
        switch error.code {
        case .invalidInput: ServiceError(.invalidInput, .badRequest, error.message)
        default: ServiceError(.upstream, .badGateway, error.message)
        }
    }

    /// Any error as the service answers it.
    static func from(_ error: GenerationError) -> ServiceError {
        if let cause = error.cause { return from(cause) }
        return switch error.code {
        case .invalidInput: ServiceError(.invalidInput, .badRequest, error.message)
        case .unknownUser: ServiceError(.unknownUser, .notFound, error.message)
        case .store: ServiceError(.unavailable, .serviceUnavailable, error.message, retryAfterSeconds: 5)
        case .cancelled: ServiceError(.clientClosedRequest, .badRequest, error.message)
        default: ServiceError(.upstream, .badGateway, error.description)
        }
    }

    static func from(_ error: any Error) -> ServiceError {
        switch error {
        case let error as ServiceError: error
        case let error as PersonalizationError: from(error)
        case let error as ProfileStoreError: from(error)
        case let error as WriterError: from(error)
        case let error as GenerationError: from(error)
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            ServiceError(.bodyTooLarge, .contentTooLarge, "the request body is larger than the service accepts")
        case let error as HTTPParserError: ServiceError(.clientClosedRequest, .badRequest, "the request ended before it was whole: \(error)")
        case let error as HTTPError where error.status == .notFound: ServiceError(.notFound, .notFound, "no such route")
        case let error as HTTPError where error.status == .methodNotAllowed:
            ServiceError(.methodNotAllowed, .methodNotAllowed, "the route does not take this method")
        case let error as HTTPError where (400..<500).contains(error.status.code):
            ServiceError(.invalidInput, error.status, error.body ?? error.status.reasonPhrase)
        default: ServiceError(.internalError, .internalServerError, "\(error)")
        }
    }
}

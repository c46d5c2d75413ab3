internal import Hummingbird
internal import Logging

/// Wraps every route: every error becomes the service's JSON error (a known path asked with
/// another method becomes 405 with `Allow`), every response carries the request's id, a
/// failure of the service itself is logged in full and answered without its details, and
/// every request is counted and timed by route template and status.
struct ServiceMiddleware: RouterMiddleware {
    typealias Context = OneRingRequestContext
    let metrics: ServiceMetrics
    let routes: RouteTable
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        var clientLeft = false
        do {
            response = try await next(request, context)
        } catch {
            var failure = ServiceError.from(error)
            clientLeft = failure.code == .clientClosedRequest
            if failure.status == .notFound, failure.code == .notFound {
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    failure = ServiceError(
                        .methodNotAllowed, .methodNotAllowed,
                        "\(request.uri.path) takes \(allowed.map(\.rawValue).joined(separator: ", ")), not \(request.method)")
                    failure.allow = allowed.map(\.rawValue).joined(separator: ", ")
                }
            }
            if failure.code == .clientClosedRequest {
                context.logger.debug("\(request.method) \(request.uri.path): the client left mid-request (\(failure.message))")
            } else if failure.status.code >= 500 {
                var metadata: Logger.Metadata = ["request_id": "\(context.requestID)"]
                if let detail = failure.detail { metadata["detail"] = "\(detail)" }
                logger.error("\(request.method) \(request.uri.path): \(failure)", metadata: metadata)
            }
            response = try failure.publicResponse(requestID: context.requestID)
        }
        response.headers[.init("X-Request-ID")!] = context.requestID
        // A request its client abandoned is counted apart (499, as nginx counts it), not as the service's fault.
        metrics.recordRequest(
            method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
            status: clientLeft ? 499 : response.status.code, duration: ContinuousClock.now - started)
        return response
    }
}

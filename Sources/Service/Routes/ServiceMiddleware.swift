internal import Hummingbird

/// Wraps every route: every error becomes the service's JSON error, and every request is
/// counted and timed by route template and status.
struct ServiceMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let failure = ServiceError.from(error)
            if failure.status.code >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(failure)") }
            response = try failure.response(from: request, context: context)
        }
        metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                              status: response.status.code, duration: ContinuousClock.now - started)
        return response
    }
}

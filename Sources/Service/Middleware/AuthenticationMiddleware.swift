internal import Hummingbird

/// Authenticates every request of the routes it wraps before their handlers run, so that no
/// handler can read a body, embed or search for a caller it has not identified: 401 for
/// missing or bad credentials, the principal in the context otherwise.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = OneRingRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = try await authenticator.principal(of: request)
        return try await next(request, context)
    }
}

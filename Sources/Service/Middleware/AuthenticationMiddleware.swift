internal import Hummingbird
internal import NIOCore

/// Authenticates every request of the routes it wraps before their handlers run, so that no
/// handler can read a body, embed or search for a caller it has not identified: 401 for
/// missing or bad credentials, the principal in the context otherwise.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = OneRingRequestContext
    let authenticator: Authenticator

    /// The largest body of an unauthenticated request that is still read and dropped, keeping
    /// the connection; beyond it (or a chunked body of unknown length) the connection closes.
    static let drainedBodyBytes = 64 << 10

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.principal = try await authenticator.principal(of: request)
        } catch {
            // A large body that comes without valid credentials is never read: the 401 says
            // `Connection: close` and the connection closes once it is written, instead of draining
            // the body (a flood of such bodies then costs next to nothing). Small bodies are
            // drained as usual, so a client whose token just expired keeps its connection.
            let announced = request.headers[.contentLength].flatMap(Int.init)
            guard announced.map({ $0 > Self.drainedBodyBytes }) ?? (request.headers[.transferEncoding] != nil) else { throw error }
            context.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            var refusal = ServiceError.from(error)
            refusal.closesConnection = true
            throw refusal
        }
        return try await next(request, context)
    }
}

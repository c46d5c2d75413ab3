internal import Hummingbird
internal import Synchronization

/// The routes the service registered, by path template and method, so that a known path asked
/// with another method answers 405 with `Allow` instead of 404.
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    /// Records `method` on `path` (`{name}` segments match any one segment).
    func add(_ path: String, _ method: HTTPRequest.Method) {
        let segments = Self.segments(path)
        routes.withLock { routes in
            if let index = routes.firstIndex(where: { $0.segments == segments }) {
                routes[index].methods.insert(method)
            } else {
                routes.append((segments, [method]))
            }
        }
    }

    /// The methods registered on the template `path` matches, sorted; empty for an unknown path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let asked = Self.segments(path)
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == asked.count
                    && zip(route.segments, asked).allSatisfy { template, segment in template.hasPrefix("{") || template == segment }
            }.flatMap(\.methods)
        }
        return Set(methods).sorted { $0.rawValue < $1.rawValue }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

extension RouterMethods where Context == OneRingRequestContext {
    /// Registers `handler` for `method` on `path`, and records it in `table`.
    @discardableResult
    func on(
        _ path: String, _ method: HTTPRequest.Method, in table: RouteTable,
        use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        table.add(path, method)
        return on(RouterPath(path), method: method, use: handler)
    }
}

import ArgumentParser
import Hummingbird
import Service

/// `onering serve`: the HTTP service until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the engine over HTTP (routes in docs/API.md, the OpenAPI document at /openapi.json).",
        discussion: """
            Authentication: --jwks-url/--jwks-file with --issuer verify session tokens (Clerk); --service-keys adds \
            static keys. On a loopback bind without a JWKS, the development issuer in .onering/auth signs tokens \
            (`onering token USER`). --no-auth is for loopback only. SIGINT/SIGTERM stop it gracefully.
            """
    )

    @OptionGroup var service: ServiceOptions

    func run() async throws {
        let (auth, development) = try service.auth()
        let configuration = try await service.configuration(auth: auth)
        let application = try await buildApplication(configuration: configuration)
        if development != nil {
            print("development tokens: `onering token USER [--admin]` (issuer \(DevelopmentIssuer.issuer))")
        }
        print("serving on http://\(configuration.host):\(configuration.port)  (dashboard: /dashboard, OpenAPI: /openapi.json)")
        try await application.runService()
    }
}

import ArgumentParser
import Foundation
import Service

/// `onering token USER`: a development session token for a local `onering serve`.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a development session token (RS256, signed by the key in .onering/auth) for creator USER."
    )

    @Argument(help: "The creator's id.") var user: Int64
    @Flag(help: "Grant the admin role (rebuilds, jobs, traces, dashboard).") var admin = false
    @Option(help: "Lifetime in seconds.") var lifetime = 3_600

    func validate() throws {
        guard user > 0 else { throw ValidationError("the creator id must be positive") }
        guard lifetime > 0 else { throw ValidationError("--lifetime must be positive") }
    }

    func run() async throws {
        let issuer = try DevelopmentIssuer.stored(in: ServiceOptions.developmentKeyFolder)
        print(try await issuer.token(userID: user, admin: admin, lifetime: TimeInterval(lifetime)))
    }
}

internal import Crypto
internal import Foundation

/// A static key of a service-to-service caller (the writer agent, the analytics job), as
/// the service stores it: its name, scopes and the SHA-256 of the secret, never the secret.
///
/// Callers send the secret as `Authorization: Bearer ork_…`; the service hashes it and
/// compares the hash with every stored one in constant time.
public struct ServiceKey: Codable, Sendable, Equatable {
    /// Who holds the key.
    public var name: String
    /// What it may do.
    public var scopes: Set<Principal.Scope>
    /// Lower-case hex SHA-256 of the secret.
    public var sha256: String

    /// A stored key.
    public init(name: String, scopes: Set<Principal.Scope>, sha256: String) {
        self.name = name
        self.scopes = scopes
        self.sha256 = sha256.lowercased()
    }

    /// The prefix every secret starts with, which tells a key from a JWT.
    public static let secretPrefix = "ork_"

    /// A new random secret and the key that stores it.
    public static func generate(name: String, scopes: Set<Principal.Scope>) -> (secret: String, key: ServiceKey) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret = secretPrefix + Data(bytes).base64URLEncoded
        return (secret, ServiceKey(name: name, scopes: scopes, sha256: digest(of: secret)))
    }

    /// Lower-case hex SHA-256 of `secret`.
    public static func digest(of secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `digest` equals this key's, comparing every byte whatever the first difference.
    func matches(digest: String) -> Bool {
        let a = Array(sha256.utf8), b = Array(digest.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Reads a JSON array of keys (`[{"name", "scopes", "sha256"}]`) from `path`.
    public static func load(path: String) throws(ServiceError) -> [ServiceKey] {
        do {
            return try JSONDecoder().decode([ServiceKey].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ServiceError(.invalidInput, .badRequest, "service keys \(path): \(error)")
        }
    }
}

extension Data {
    /// Base64url without padding (RFC 7515), as JWTs and JWKs use it.
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

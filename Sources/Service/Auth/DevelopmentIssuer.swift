internal import Crypto
internal import CryptoExtras
public import Foundation
internal import Glibc
internal import JWTKit

/// A local token issuer for development and tests: an RSA key pair kept in a folder, its
/// public JWKS for the service to verify against, and RS256 session tokens shaped as Clerk's.
///
/// It never runs in production: production tokens come from Clerk, verified against its JWKS URL.
public struct DevelopmentIssuer: Sendable {
    /// The issuer (`iss`) its tokens carry.
    public static let issuer = "https://onering.local/dev"
    /// The authorized party (`azp`) its tokens carry.
    public static let authorizedParty = "http://127.0.0.1:8080"

    /// The key id (`kid`) of the key.
    public let keyID: String
    /// The public key set, as JSON.
    public let keySetJSON: String
    private let privateKeyPEM: String

    /// A new key pair with `keyID`.
    public static func generate(keyID: String = "dev-\(UUID().uuidString.prefix(8).lowercased())") throws(ServiceError) -> DevelopmentIssuer {
        do {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return try DevelopmentIssuer(keyID: keyID, privateKeyPEM: key.pemRepresentation)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.internalError, .internalServerError, "cannot make an RSA key: \(error)")
        }
    }

    /// The issuer of a stored private key.
    public init(keyID: String, privateKeyPEM: String) throws(ServiceError) {
        do {
            let key = try Insecure.RSA.PrivateKey(pem: privateKeyPEM)
            let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
            let set = [
                "keys": [
                    [
                        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": keyID,
                        "n": modulus.base64URLEncoded, "e": exponent.base64URLEncoded,
                    ]
                ]
            ]
            keySetJSON = String(decoding: try JSONSerialization.data(withJSONObject: set, options: [.sortedKeys]), as: UTF8.self)
        } catch {
            throw ServiceError(.internalError, .internalServerError, "the development key is not a usable RSA key: \(error)")
        }
        self.keyID = keyID
        self.privateKeyPEM = privateKeyPEM
    }

    /// The issuer kept in `folder` (`dev-key.pem`, `dev-jwks.json`), made there on first use.
    public static func stored(in folder: String) throws(ServiceError) -> DevelopmentIssuer {
        let keyPath = folder + "/dev-key.pem", idPath = folder + "/dev-key.id"
        let issuer: DevelopmentIssuer
        if let pem = try? String(contentsOfFile: keyPath, encoding: .utf8), let id = try? String(contentsOfFile: idPath, encoding: .utf8) {
            issuer = try DevelopmentIssuer(keyID: id.trimmingCharacters(in: .whitespacesAndNewlines), privateKeyPEM: pem)
        } else {
            issuer = try generate()
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try Self.writePrivate(issuer.privateKeyPEM, to: keyPath)
                try Data(issuer.keyID.utf8).write(to: URL(fileURLWithPath: idPath), options: .atomic)
            } catch {
                throw ServiceError(.internalError, .internalServerError, "cannot keep the development key in \(folder): \(error.localizedDescription)")
            }
        }
        do {
            try Data(issuer.keySetJSON.utf8).write(to: URL(fileURLWithPath: issuer.keySetPath(in: folder)), options: .atomic)
        } catch {
            throw ServiceError(.internalError, .internalServerError, "cannot write the development JWKS: \(error.localizedDescription)")
        }
        return issuer
    }

    /// Writes `text` to a new file at `path` created with mode 0600, so the private key is
    /// never readable by others, not even for a moment before a chmod.
    private static func writePrivate(_ text: String, to path: String) throws {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Where ``stored(in:)`` writes the public key set.
    public func keySetPath(in folder: String) -> String { folder + "/dev-jwks.json" }

    /// The session-token settings that accept this issuer's tokens from the key set at `source`.
    public func sessionTokens(keySet source: AuthConfiguration.KeySetSource) -> AuthConfiguration.SessionTokens {
        AuthConfiguration.SessionTokens(keySet: source, issuer: Self.issuer, authorizedParties: [Self.authorizedParty])
    }

    /// A signed session token for creator `userID`, as Clerk shapes them (`sub`, `sid`, `azp`,
    /// `iss`, `iat`, `nbf`, `exp`), with the user id and role in the default custom claims.
    ///
    /// `overrides` replaces or adds claims (tests make expired, early or foreign tokens with it);
    /// a `.other` value removes the claim.
    public func token(
        userID: Int64, admin: Bool = false, lifetime: TimeInterval = 3_600,
        overrides: [String: SessionClaims.Value] = [:]
    ) async throws(ServiceError) -> String {
        let now = Date().timeIntervalSince1970.rounded(.down)
        var claims: [String: SessionClaims.Value] = [
            "sub": .text("user_dev_\(userID)"), "sid": .text("sess_dev"), "azp": .text(Self.authorizedParty),
            "iss": .text(Self.issuer), "iat": .number(now), "nbf": .number(now - 5), "exp": .number(now + lifetime),
            "onering_user_id": .text(String(userID)),
        ]
        if admin { claims["onering_role"] = .text("admin") }
        for (name, value) in overrides { claims[name] = value == .other ? nil : value }
        do {
            let keys = JWTKeyCollection()
            await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: privateKeyPEM), digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID))
            return try await keys.sign(SessionClaims(claims), kid: JWKIdentifier(string: keyID))
        } catch {
            throw ServiceError(.internalError, .internalServerError, "cannot sign a development token: \(error)")
        }
    }
}

public import JWTKit

/// The claims of a session token: the registered ones the service checks (`sub`, `iss`,
/// `azp`, `exp`, `nbf`) and every other claim by name, for the configured user-id and role claims.
public struct SessionClaims: JWTPayload, Equatable {
    /// A claim value the service reads: text or a number.
    public enum Value: Codable, Sendable, Equatable {
        case text(String)
        case number(Double)
        case other

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .other
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            case .other: try container.encodeNil()
            }
        }

        /// The value as a positive user id, when it is one.
        var userID: Int64? {
            switch self {
            case .text(let text): Int64(text).flatMap { $0 > 0 ? $0 : nil }
            case .number(let number): number > 0 && number == number.rounded() && number < 9e15 ? Int64(number) : nil
            case .other: nil
            }
        }
    }

    /// Every claim by name.
    public var claims: [String: Value]

    /// Claims from a dictionary.
    public init(_ claims: [String: Value]) { self.claims = claims }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var claims: [String: Value] = [:]
        for key in container.allKeys { claims[key.stringValue] = try container.decode(Value.self, forKey: key) }
        self.claims = claims
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in claims { try container.encode(value, forKey: Key(stringValue: name)) }
    }

    /// The signature is checked by the key collection; the claims by `SessionTokenVerifier`,
    /// which knows the configured issuer, parties and leeway.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    func text(_ name: String) -> String? {
        if case .text(let text)? = claims[name] { return text }
        return nil
    }

    func number(_ name: String) -> Double? {
        if case .number(let number)? = claims[name] { return number }
        return nil
    }
}

internal import Foundation

/// A creator, as one line of `users.jsonl`:
/// `{"id": 42, "handle": "ana_builds", "name": "Ana Ruiz", "bio": "…"}`.
public struct UserRecord: Codable, Sendable, Equatable {
    /// The user's id, positive, stable across imports.
    public var id: Int64
    /// The handle, without `@`: 1 to 30 letters, digits (any script), `_` and `.`, in Unicode
    /// NFKC form (``normalizedHandle(_:)``), unique regardless of case (``handleKey``). No
    /// spaces, symbols, invisible or bidirectional control characters.
    public var handle: String
    /// The display name.
    public var name: String
    /// The profile's bio; may be empty.
    public var bio: String

    /// A user record.
    public init(id: Int64, handle: String, name: String, bio: String = "") {
        self.id = id
        self.handle = handle
        self.name = name
        self.bio = bio
    }

    private enum CodingKeys: String, CodingKey { case id, handle, name, bio }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        handle = try container.decode(String.self, forKey: .handle)
        name = try container.decode(String.self, forKey: .name)
        bio = try container.decodeIfPresent(String.self, forKey: .bio) ?? ""
    }

    /// The longest handle, in characters.
    public static let maximumHandleLength = 30

    /// `handle` in Unicode NFKC form (full-width and compatibility characters folded), as the
    /// edges store it.
    public static func normalizedHandle(_ handle: String) -> String { handle.precomposedStringWithCompatibilityMapping }

    /// What makes two handles the same: NFKC, then lower case. The store keeps it unique.
    public var handleKey: String { Self.normalizedHandle(handle).lowercased() }

    /// The first field that breaks a rule, as (field, problem), or nil when the record is valid.
    public func problem() -> (field: String, message: String)? {
        if id <= 0 { return ("id", "must be positive") }
        if let problem = Self.handleProblem(handle) { return ("handle", problem) }
        if let problem = RecordRules.text(name, maximum: 200) { return ("name", problem) }
        if let problem = RecordRules.text(bio, maximum: 10_000, allowEmpty: true) { return ("bio", problem) }
        return nil
    }
}

extension UserRecord {
    /// Why `handle` is not a valid handle, or nil.
    static func handleProblem(_ handle: String) -> String? {
        if handle.isEmpty { return "must not be empty" }
        if handle.count > maximumHandleLength { return "is \(handle.count) characters; the limit is \(maximumHandleLength)" }
        if handle != normalizedHandle(handle) { return "must be in Unicode NFKC form" }
        for scalar in handle.unicodeScalars {
            let properties = scalar.properties
            let allowed =
                scalar == "_" || scalar == "." || properties.isAlphabetic || properties.numericType == .decimal
                || properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark
            if !allowed || properties.generalCategory == .format || properties.generalCategory == .control || properties.isBidiControl {
                return "may hold only letters, digits, _ and . (found U+\(String(scalar.value, radix: 16, uppercase: true)))"
            }
        }
        return nil
    }
}

/// Rules shared by the import records.
enum RecordRules {
    /// Why `text` is unacceptable, or nil: PostgreSQL's text cannot hold NUL, and lengths are bounded.
    static func text(_ text: String, maximum: Int, allowEmpty: Bool = false) -> String? {
        if !allowEmpty && text.trimmingPrefix(while: \.isWhitespace).isEmpty { return "must not be empty" }
        if text.count > maximum { return "is \(text.count) characters; the limit is \(maximum)" }
        if text.utf8.contains(0) { return "contains a NUL character" }
        return nil
    }
}

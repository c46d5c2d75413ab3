/// A creator, as one line of `users.jsonl`:
/// `{"id": 42, "handle": "ana_builds", "name": "Ana Ruiz", "bio": "…"}`.
public struct UserRecord: Codable, Sendable, Equatable {
    /// The user's id, positive, stable across imports.
    public var id: Int64
    /// The unique handle, without `@`.
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

    /// The first field that breaks a rule, as (field, problem), or nil when the record is valid.
    public func problem() -> (field: String, message: String)? {
        if id <= 0 { return ("id", "must be positive") }
        if let problem = RecordRules.text(handle, maximum: 64) { return ("handle", problem) }
        if handle.contains(where: \.isWhitespace) { return ("handle", "must not contain spaces") }
        if let problem = RecordRules.text(name, maximum: 200) { return ("name", problem) }
        if let problem = RecordRules.text(bio, maximum: 10_000, allowEmpty: true) { return ("bio", problem) }
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

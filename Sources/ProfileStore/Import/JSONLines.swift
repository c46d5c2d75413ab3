public import Foundation

/// Reads JSON Lines import files, checking every line before anything is written.
public enum JSONLines {
    /// Users from `users.jsonl` bytes, with their line numbers. `source` names the file in errors.
    /// Throws `.invalidInput` naming the line and field: malformed JSON, a missing or
    /// wrong field, a broken rule, or an id or handle that repeats an earlier line.
    public static func users(_ data: Data, source: String) throws(ProfileStoreError) -> [Numbered<UserRecord>] {
        let users: [Numbered<UserRecord>] = try decode(data, source: source) { $0.problem() }
        try checkUnique(users, source: source, field: "id") { $0.id }
        try checkUnique(users, source: source, field: "handle") { $0.handle }
        return users
    }

    /// Posts from `posts.jsonl` bytes, with their line numbers; errors as for `users`.
    public static func posts(_ data: Data, source: String) throws(ProfileStoreError) -> [Numbered<PostRecord>] {
        let posts: [Numbered<PostRecord>] = try decode(data, source: source) { $0.problem() }
        try checkUnique(posts, source: source, field: "id") { $0.id }
        return posts
    }

    private static func decode<Record: Decodable>(
        _ data: Data, source: String, problem: (Record) -> (field: String, message: String)?
    ) throws(ProfileStoreError) -> [Numbered<Record>] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom(decodeDate)
        var records: [Numbered<Record>] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { continue }
            let record: Record
            do {
                record = try decoder.decode(Record.self, from: line)
            } catch let error as DecodingError {
                throw invalid(source, lineNumber, describe(error))
            } catch {
                throw invalid(source, lineNumber, "\(error)")
            }
            if let (field, message) = problem(record) {
                throw invalid(source, lineNumber, "field \"\(field)\" \(message)")
            }
            records.append(Numbered(line: lineNumber, record: record))
        }
        return records
    }

    private static func checkUnique<Record, Key: Hashable>(
        _ records: [Numbered<Record>], source: String, field: String, key: (Record) -> Key
    ) throws(ProfileStoreError) {
        var firstLine: [Key: Int] = [:]
        firstLine.reserveCapacity(records.count)
        for numbered in records {
            if let earlier = firstLine.updateValue(numbered.line, forKey: key(numbered.record)) {
                throw invalid(source, numbered.line, "field \"\(field)\" repeats line \(earlier) (\(key(numbered.record)))")
            }
        }
    }

    private static func decodeDate(_ decoder: any Decoder) throws -> Date {
        let text = try decoder.singleValueContainer().decode(String.self)
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "field \"\(path(context.codingPath + [key]))\" is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" should be \(type == String.self ? "a string" : "\(type)")"
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "field \"\(path(context.codingPath))\": \(context.debugDescription)"
        case .dataCorrupted:
            return "not a JSON object"
        @unknown default:
            return "\(error)"
        }
    }

    private static func invalid(_ source: String, _ line: Int, _ message: String) -> ProfileStoreError {
        ProfileStoreError(.invalidInput, "\(source) line \(line): \(message)")
    }
}

/// A record with the line it came from, for errors found later (an unknown user).
public struct Numbered<Record: Sendable>: Sendable {
    /// The 1-based line number in its file.
    public var line: Int
    /// The record.
    public var record: Record

    /// A record from `line`.
    public init(line: Int, record: Record) {
        self.line = line
        self.record = record
    }
}

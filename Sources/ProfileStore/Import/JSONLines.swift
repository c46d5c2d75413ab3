internal import Dispatch
public import Foundation
internal import Synchronization

/// Reads JSON Lines import files, checking every line before anything is written.
public enum JSONLines {
    /// Users from `users.jsonl` bytes, with their line numbers. `source` names the file in errors.
    /// Throws `.invalidInput` naming the line and field: malformed JSON, a missing or
    /// wrong field, a broken rule, or an id or handle that repeats an earlier line.
    /// `progress` hears the lines checked so far and the total, from any thread, every 50,000 lines.
    public static func users(_ data: Data, source: String, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws(ProfileStoreError)
        -> [Numbered<UserRecord>]
    {
        let users: [Numbered<UserRecord>] = try decode(data, source: source, progress: progress) { $0.problem() }
        try checkUnique(users, source: source, field: "id") { $0.id }
        try checkUnique(users, source: source, field: "handle") { $0.handle }
        return users
    }

    /// Posts from `posts.jsonl` bytes, with their line numbers; errors as for `users`.
    public static func posts(_ data: Data, source: String, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws(ProfileStoreError)
        -> [Numbered<PostRecord>]
    {
        let posts: [Numbered<PostRecord>] = try decode(data, source: source, progress: progress) { $0.problem() }
        try checkUnique(posts, source: source, field: "id") { $0.id }
        return posts
    }

    /// Decodes every line, split over the cores (Foundation's JSONDecoder is the import's
    /// slowest step); the error reported is the one of the earliest bad line.
    private static func decode<Record: Decodable & Sendable>(
        _ data: Data, source: String, progress: (@Sendable (Int, Int) -> Void)?,
        problem: @escaping @Sendable (Record) -> (field: String, message: String)?
    ) throws(ProfileStoreError) -> [Numbered<Record>] {
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, lines.count / 1_000))
        let checked = Atomic<Int>(0)
        var parts = [Result<[Numbered<Record>], ProfileStoreError>](repeating: .success([]), count: workers)
        parts.withUnsafeMutableBufferPointer { slots in
            // Each worker fills its own slot.
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let range = (worker * lines.count / workers)..<((worker + 1) * lines.count / workers)
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .custom(decodeDate)
                var records: [Numbered<Record>] = []
                records.reserveCapacity(range.count)
                for index in range {
                    let line = lines[index], lineNumber = index + 1
                    if (index - range.lowerBound + 1) % 10_000 == 0, let progress {
                        let done = checked.add(10_000, ordering: .relaxed).newValue
                        if done % 50_000 == 0 { progress(done, lines.count) }
                    }
                    guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { continue }
                    let record: Record
                    do {
                        record = try decoder.decode(Record.self, from: line)
                    } catch {
                        slots[worker] = .failure(invalid(source, lineNumber, diagnose(Data(line), error)))
                        return
                    }
                    if let (field, message) = problem(record) {
                        slots[worker] = .failure(invalid(source, lineNumber, "field \"\(field)\" \(message)"))
                        return
                    }
                    records.append(Numbered(line: lineNumber, record: record))
                }
                slots[worker] = .success(records)
            }
        }
        var records: [Numbered<Record>] = []
        records.reserveCapacity(lines.count)
        for part in parts { records += try part.get() }
        progress?(lines.count, lines.count)
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

    /// Why a line did not decode, in words a person writing the file knows: not UTF-8, not
    /// JSON, not an object, a field missing or of the wrong kind, a number that is no integer.
    static func diagnose(_ line: Data, _ error: any Error) -> String {
        guard String(validating: line, as: UTF8.self) != nil else {
            return "is not UTF-8 text"
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: line, options: [.fragmentsAllowed])
        } catch {
            let shown = String(decoding: line.prefix(60), as: UTF8.self) + (line.count > 60 ? "…" : "")
            return "is not valid JSON (\(shown)): check quotes, commas and \\u escapes (a lone surrogate is not a character)"
        }
        guard let object = parsed as? [String: Any] else {
            return "is \(kind(of: parsed)), not a JSON object {\"field\": value, …}"
        }
        // Numbers JSONDecoder rejects without naming the field: fractions, or beyond 64 bits.
        for field in ["id", "user_id", "views", "likes", "reposts"] {
            guard let value = object[field], let number = value as? NSNumber, !(value is Bool) else { continue }
            let text = "\(number)"
            if Int64(text) == nil {
                return "field \"\(field)\" should be an integer from −9223372036854775808 to 9223372036854775807, not \(text)"
            }
        }
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "field \"\(path(context.codingPath + [key]))\" is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            let found = field.isEmpty ? nil : value(at: context.codingPath, in: object)
            return "field \"\(field)\" should be \(words(for: type))\(found.map { ", not \(kind(of: $0))" } ?? "")"
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "field \"\(path(context.codingPath))\": \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.debugDescription
        @unknown default:
            return "\(decoding)"
        }
    }

    /// A Swift type as a person writing JSON calls it.
    private static func words(for type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int64.Type, is Int.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is [String].Type: "a list of strings"
        case is Date.Type: "a date (ISO 8601, e.g. 2026-09-01T14:05:00Z)"
        default: "\(type)".hasPrefix("Array") ? "a list" : "\(type)".hasPrefix("Dictionary") ? "a JSON object" : "\(type)"
        }
    }

    /// What a JSON value is, in words.
    private static func kind(of value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is Bool: "true or false"
        case is NSNumber: "a number"
        case is String: "a string"
        case is [Any]: "a list"
        case is [String: Any]: "an object"
        default: "a value"
        }
    }

    private static func value(at path: [any CodingKey], in object: [String: Any]) -> Any? {
        var current: Any? = object
        for key in path {
            if let index = key.intValue {
                current = (current as? [Any]).flatMap { index < $0.count ? $0[index] : nil }
            } else {
                current = (current as? [String: Any])?[key.stringValue]
            }
        }
        return current
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

/// Any JSON value: what `JSONValueParser` reads, and stored JSON (job payloads, progress,
/// results) passed through as JSON.
enum JSONValue: Encodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value `json` holds; a string of it when it is not JSON.
    init(json: String) {
        var text = json
        self = (try? text.withUTF8 { bytes throws(ServiceError) in try JSONValueParser.parse(bytes) }) ?? .string(json)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

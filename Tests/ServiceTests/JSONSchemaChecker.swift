import Foundation

/// Checks JSON values against the schemas of an OpenAPI 3.1 document: the subset the
/// service's document uses (`$ref`, `type`, `properties`, `required`, `additionalProperties`,
/// `items`, `enum`, `oneOf`, `minimum`, `maximum`, `minItems`, `maxItems`, `minLength`, `maxLength`).
struct JSONSchemaChecker {
    let document: [String: Any]

    /// The keywords it checks, and the annotations that constrain nothing.
    static let knownKeywords: Set<String> = [
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "oneOf", "minimum", "maximum",
        "minItems", "maxItems", "minLength", "maxLength",
        "description", "title", "example", "examples", "format", "default", "deprecated", "readOnly", "writeOnly",
        "contentMediaType", "contentSchema",
    ]

    /// The problems of `value` against `schema`, each with its path; empty when it conforms.
    /// A keyword it does not know is a problem too: a schema it cannot check must not pass.
    func problems(_ value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        let unknown = Set(schema.keys).subtracting(Self.knownKeywords)
        guard unknown.isEmpty else { return ["\(path): the checker does not know the keywords \(unknown.sorted())"] }
        if let reference = schema["$ref"] as? String {
            let name = reference.replacingOccurrences(of: "#/components/schemas/", with: "")
            guard let resolved = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?[name] as? [String: Any] else {
                return ["\(path): unresolved \(reference)"]
            }
            return problems(value, against: resolved, at: path)
        }
        if let choices = schema["oneOf"] as? [[String: Any]] {
            let matching = choices.filter { problems(value, against: $0, at: path).isEmpty }.count
            return matching == 1 ? [] : ["\(path): matches \(matching) of oneOf's schemas"]
        }
        var found: [String] = []
        if let type = schema["type"] as? String, !Self.value(value, is: type) {
            return ["\(path): expected \(type), got \(Swift.type(of: value))"]
        }
        if let choices = schema["enum"] as? [Any], !choices.contains(where: { Self.same($0, value) }) {
            found.append("\(path): \(value) is not one of \(choices)")
        }
        if let number = value as? NSNumber, !(value is Bool) {
            if let minimum = schema["minimum"] as? Double, number.doubleValue < minimum { found.append("\(path): below \(minimum)") }
            if let maximum = schema["maximum"] as? Double, number.doubleValue > maximum { found.append("\(path): above \(maximum)") }
        }
        if let text = value as? String {
            if let minimum = schema["minLength"] as? Int, text.count < minimum { found.append("\(path): shorter than \(minimum)") }
            if let maximum = schema["maxLength"] as? Int, text.count > maximum { found.append("\(path): longer than \(maximum)") }
        }
        if let array = value as? [Any] {
            if let minimum = schema["minItems"] as? Int, array.count < minimum { found.append("\(path): fewer than \(minimum) items") }
            if let maximum = schema["maxItems"] as? Int, array.count > maximum { found.append("\(path): more than \(maximum) items") }
            if let items = schema["items"] as? [String: Any] {
                for (index, item) in array.enumerated() { found += problems(item, against: items, at: "\(path)[\(index)]") }
            }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil { found.append("\(path).\(name): required") }
            for (name, member) in object {
                if let property = properties[name] {
                    found += problems(member, against: property, at: "\(path).\(name)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    found += problems(member, against: additional, at: "\(path).\(name)")
                } else if schema["additionalProperties"] as? Bool == false {
                    found.append("\(path).\(name): not allowed")
                }
            }
        }
        return found
    }

    private static func value(_ value: Any, is type: String) -> Bool {
        switch type {
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "string": value is String
        case "boolean": isBoolean(value)
        case "integer": (value as? NSNumber).map { !isBoolean(value) && $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": value is NSNumber && !isBoolean(value)
        case "null": value is NSNull
        default: false
        }
    }

    /// JSON equality of two scalars: the same type and value (the number 1 is not the string "1",
    /// nor `true`).
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (let x as String, let y as String): x == y
        case (is NSNull, is NSNull): true
        case _ where isBoolean(a) || isBoolean(b): isBoolean(a) && isBoolean(b) && (a as? NSNumber)?.boolValue == (b as? NSNumber)?.boolValue
        case (let x as NSNumber, let y as NSNumber): x.doubleValue == y.doubleValue
        default: false
        }
    }

    /// JSONSerialization gives booleans as NSNumber; on Linux they keep their Bool type.
    private static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c" || value is Bool && !(value is Int)
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// A small JSON parser into ``JSONValue``, for the one body where Foundation's `JSONDecoder`
/// dominated the cost of a request: a search by vector (1,536 numbers). Measured under load,
/// decoding it with `JSONDecoder` took more CPU than the search itself. Numbers are read
/// straight from the bytes (Clinger's fast path, else `strtod`); nothing is allocated per number.
struct JSONValueParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    /// Parses `bytes` as one JSON value; throws `invalidJSON` naming the byte offset of a fault.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ServiceError) -> JSONValue {
        var parser = JSONValueParser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.fault("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private func fault(_ message: String) -> ServiceError {
        ServiceError(.invalidJSON, .badRequest, "the body is not valid JSON: \(message) at byte \(position)")
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func value(depth: Int) throws(ServiceError) -> JSONValue {
        guard depth < 64 else { throw fault("nested too deeply") }
        skipSpace()
        guard position < bytes.count else { throw fault("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            // A repeated key keeps its last value, as with JSONDecoder.
            var members: [String: JSONValue] = [:]
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fault("expected a key") }
                let key = try string()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fault("expected ':'") }
                position += 1
                members[key] = try value(depth: depth + 1)
                skipSpace()
                guard position < bytes.count else { throw fault("unexpected end") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard bytes[position] == UInt8(ascii: "}") else { throw fault("expected ',' or '}'") }
                position += 1
                return .object(members)
            }
        case UInt8(ascii: "["):
            position += 1
            var elements: [JSONValue] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                elements.append(try value(depth: depth + 1))
                skipSpace()
                guard position < bytes.count else { throw fault("unexpected end") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard bytes[position] == UInt8(ascii: "]") else { throw fault("expected ',' or ']'") }
                position += 1
                return .array(elements)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return .number(try number())
        }
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws(ServiceError) -> JSONValue {
        let expected = Array(word.utf8)
        guard position + expected.count <= bytes.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw fault("unexpected character")
        }
        position += expected.count
        return value
    }

    /// A number, by JSON's grammar, converted with `strtod`; an overflow to infinity is a fault.
    private mutating func number() throws(ServiceError) -> Double {
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let first = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - first
        }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw fault("unexpected character") }
        // JSON allows no leading zero: "0" alone, or "0." / "0e", never "01".
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw fault("a number with a leading zero") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw fault("a number needs digits after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw fault("a number needs digits in its exponent") }
        }
        if let exact = Self.fastNumber(bytes, start..<position) { return exact }
        // strtod needs a terminated string: the number is copied to a buffer (any length the
        // grammar allows; the body's size bounds it).
        let length = position - start
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double in
            for index in 0..<length { buffer[index] = CChar(bitPattern: bytes[start + index]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
        guard value.isFinite else {
            position = start
            throw fault("a number is out of range")
        }
        return value
    }

    /// Powers of ten that doubles hold exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { product, _ in product * 10 } }

    /// Clinger's fast path: a number of at most 15 significant digits whose decimal exponent
    /// is within ±22 is one exact integer times or divided by one exact power of ten, so a
    /// single rounding gives the correctly rounded double, as `strtod` would. Nil otherwise.
    private static func fastNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var mantissa: UInt64 = 0, digits = 0, exponent = 0
        var fraction = false
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                fraction = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                break
            } else {
                if mantissa > 0 || byte != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                if fraction { exponent -= 1 }
            }
            index += 1
        }
        if index < range.upperBound {
            index += 1
            var sign = 1, value = 0
            if bytes[index] == UInt8(ascii: "-") {
                sign = -1
                index += 1
            } else if bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            while index < range.upperBound {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                guard value < 1_000 else { return nil }
                index += 1
            }
            exponent += sign * value
        }
        guard abs(exponent) <= 22 else { return mantissa == 0 ? (negative ? -0.0 : 0) : nil }
        var value = Double(mantissa)
        value = exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
        return negative ? -value : value
    }

    private mutating func string() throws(ServiceError) -> String {
        position += 1
        var utf8: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw fault("a string is not UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw fault("unexpected end") }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hexadecimal()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw fault("a lone surrogate")
                        }
                        position += 2
                        let low = try hexadecimal()
                        guard (0xDC00..<0xE000).contains(low) else { throw fault("a lone surrogate") }
                        scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fault("an invalid escape") }
                    utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw fault("an invalid escape")
                }
            case 0..<0x20:
                throw fault("a control character in a string")
            default:
                utf8.append(byte)
            }
        }
        throw fault("an unterminated string")
    }

    /// Exactly four hexadecimal digits (`UInt32(_:radix:)` alone would take a sign, as in `\\u+041`).
    private mutating func hexadecimal() throws(ServiceError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fault("an invalid \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw fault("an invalid \\u escape") }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }
}

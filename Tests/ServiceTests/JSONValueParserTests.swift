import Foundation
import Testing

@testable import Service

@Suite("The search body's JSON parser")
struct JSONValueParserTests {
    static func parse(_ text: String) throws(ServiceError) -> JSONValue {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(ServiceError) in try JSONValueParser.parse(buffer) }
    }

    @Test("a search body: numbers, strings with escapes, nulls, nesting; same values as JSONSerialization")
    func parses() throws {
        let text =
            #"{"vector": [0.25, -1e-3, 3E2, 0, -0.0], "text": "caf\u00e9 \"run\"\n\ud83c\udfc3", "k": 12, "exclude": [], "cohort": null, "x": {"y": [true, false]}}"#
        let body = try OneRingService.SearchBody(Self.parse(text))
        #expect(body.vector == [0.25, -1e-3, 300, 0, -0.0])
        #expect(body.text == "café \"run\"\n🏃")
        #expect(body.k == 12)
        #expect(body.exclude == [])
        #expect(body.cohort == nil)
        let reference = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(reference["text"] as? String == body.text)
    }

    @Test("numbers equal strtod's, on the fast path and off it")
    func numbers() throws {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "1e22", "1e23", "123456789012345", "1234567890123456789", "0.1", "-2.5e-7", "4.9e-324", "1.7976931348623157e308"]
        for _ in 0..<2_000 { texts.append(String(format: "%.*g", Int.random(in: 1...17, using: &generator), Double.random(in: -3...3, using: &generator))) }
        for text in texts {
            guard case .array(let values) = try Self.parse("[\(text)]"), case .number(let value) = values[0] else {
                Issue.record("\(text) did not parse")
                continue
            }
            #expect(value.bitPattern == strtod(text, nil).bitPattern, "\(text)")
        }
    }

    @Test(
        "malformed JSON and wrong types are invalidJSON",
        arguments: [
            "", "{", "[1, 2", #"{"k": 1,}"#, #"{"k" 1}"#, "{'k': 1}", #"{"k": 01x}"#, #"{"vector": [1e999]}"#, #"{"k": tru}"#,
            #"{"text": "\ud800"}"#, "{\"text\": \"a\u{01}\"}", #"{"k": 1} extra"#, #"{"k": "ten"}"#, #"{"k": 1.5}"#,
            #"{"vector": "1,2"}"#, #"{"vector": [1, "2"]}"#, #"{"exclude": [1.5]}"#, "[]",
            // JSON has no leading zeros, and \u takes exactly four hexadecimal digits (no sign).
            #"{"k": 01}"#, #"{"vector": [-01.5]}"#, #"{"text": "\u+041"}"#, #"{"text": "\u-041"}"#, #"{"text": "\u 041"}"#,
        ])
    func faults(text: String) {
        #expect(throws: ServiceError.self) { _ = try OneRingService.SearchBody(Self.parse(text)) }
    }

    @Test("valid numbers of any length parse, as strtod reads them; 0 and 0.5 keep their single zero")
    func longNumbers() throws {
        let long = "0." + String(repeating: "1", count: 80) + "e-1"
        guard case .array(let values) = try Self.parse("[\(long), 0, 0.5, -0e3, \(String(repeating: "9", count: 70))]") else {
            Issue.record("not an array")
            return
        }
        #expect(values.count == 5)
        if case .number(let value) = values[0] { #expect(value.bitPattern == strtod(long, nil).bitPattern) } else { Issue.record("\(values[0])") }
        guard case .object(let members) = try Self.parse(#"{"text": "\u0041\u00e9"}"#), case .string(let text)? = members["text"] else {
            Issue.record("no text")
            return
        }
        #expect(text == "Aé")
    }
}

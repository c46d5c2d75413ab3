import Foundation
import Testing

@Suite("The tests' JSON Schema checker")
struct JSONSchemaCheckerTests {
    let checker = JSONSchemaChecker(document: [:])

    @Test("enum compares JSON values by type and value: 1 is not \"1\", nor true")
    func typedEnum() {
        let numbers: [String: Any] = ["enum": [1, 2]]
        #expect(checker.problems(NSNumber(value: 1), against: numbers).isEmpty)
        #expect(!checker.problems("1", against: numbers).isEmpty)
        #expect(!checker.problems(true, against: numbers).isEmpty)
        let names: [String: Any] = ["enum": ["exact", "partitioned"]]
        #expect(checker.problems("exact", against: names).isEmpty)
        #expect(!checker.problems("fuzzy", against: names).isEmpty)
    }

    @Test("a keyword the checker does not know fails, instead of passing unchecked")
    func unknownKeyword() {
        #expect(!checker.problems("abc", against: ["type": "string", "pattern": "^[0-9]+$"]).isEmpty)
        #expect(checker.problems("abc", against: ["type": "string", "description": "any text"]).isEmpty)
    }
}

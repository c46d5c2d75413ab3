/// Finds degenerate repetition in a draft, the failure small models fall into: one sentence
/// written again and again, or the same few words looping.
struct RepetitionCheck: Sendable {
    /// The share of repeated sentences (of those with three words or more), and of word 4-grams
    /// that occurred earlier in the text (texts of 24 words or more).
    struct Measure: Sendable {
        var repeatedSentences: Double
        var repeatedFourGrams: Double
        /// The sentence written most often, and how often.
        var mostRepeated: (sentence: String, count: Int)?

        /// Degenerate: a sentence three times or more, over 30 % of sentences repeated, or over 40 % of 4-grams.
        var isDegenerate: Bool { (mostRepeated?.count ?? 0) >= 3 || repeatedSentences > 0.3 || repeatedFourGrams > 0.4 }

        var problem: String? {
            guard isDegenerate else { return nil }
            if let (sentence, count) = mostRepeated, count >= 2 {
                return "degenerate repetition: \"\(sentence.prefix(60))\" \(count) times"
            }
            return "degenerate repetition: \(Int((repeatedFourGrams * 100).rounded())) % of its 4-word runs repeat"
        }
    }

    static func measure(_ text: String) -> Measure {
        var sentences: [String] = []
        var current: [String] = []
        var words: [String] = []
        for token in Self.tokens(text) {
            switch token {
            case .word(let word):
                current.append(word)
                words.append(word)
            case .end:
                if current.count >= 3 { sentences.append(current.joined(separator: " ")) }
                current.removeAll()
            }
        }
        if current.count >= 3 { sentences.append(current.joined(separator: " ")) }
        var counts: [String: Int] = [:]
        for sentence in sentences { counts[sentence, default: 0] += 1 }
        let repeated = sentences.isEmpty ? 0 : Double(sentences.count - counts.count) / Double(sentences.count)
        var fourGrams = 0.0
        if words.count >= 24 {
            var seen = Set<String>()
            var again = 0
            for start in 0...(words.count - 4) where !seen.insert(words[start..<start + 4].joined(separator: " ")).inserted { again += 1 }
            fourGrams = Double(again) / Double(words.count - 3)
        }
        let top = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }
        return Measure(repeatedSentences: repeated, repeatedFourGrams: fourGrams, mostRepeated: top.map { ($0.key, $0.value) })
    }

    enum Token {
        case word(String)
        case end
    }

    /// Lower-cased words (letters and digits) and sentence ends (`.`, `!`, `?`, a line break).
    /// Hashtags are left out: the plan gives every variant the same ones.
    static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        var hashtag = false
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                word.append(character)
                continue
            }
            if !word.isEmpty, !hashtag { tokens.append(.word(word)) }
            word = ""
            hashtag = character == "#"
            if ".!?…".contains(character) || character.isNewline { tokens.append(.end) }
        }
        if !word.isEmpty, !hashtag { tokens.append(.word(word)) }
        return tokens
    }
}

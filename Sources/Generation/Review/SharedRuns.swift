/// Runs of eight words or more that a draft shares with another text: the mark of copied
/// sentences, which an embedding's cosine alone can miss in a longer post.
struct SharedRuns: Sendable {
    /// The run length that counts as copying.
    static let minimumWords = 8

    /// The 8-word windows of one text.
    let windows: Set<String>

    init(_ text: String) {
        let words = Self.words(text)
        var windows = Set<String>()
        if words.count >= Self.minimumWords {
            for start in 0...(words.count - Self.minimumWords) {
                windows.insert(words[start..<start + Self.minimumWords].joined(separator: " "))
            }
        }
        self.windows = windows
    }

    /// The longest run of words `draft` shares with this text (0 when under eight).
    func longestRun(in draft: [String]) -> Int {
        guard draft.count >= Self.minimumWords, !windows.isEmpty else { return 0 }
        var longest = 0, run = 0
        for start in 0...(draft.count - Self.minimumWords) {
            if windows.contains(draft[start..<start + Self.minimumWords].joined(separator: " ")) {
                run = run == 0 ? Self.minimumWords : run + 1
                longest = max(longest, run)
            } else {
                run = 0
            }
        }
        return longest
    }

    /// Lower-cased words of letters and digits.
    static func words(_ text: String) -> [String] {
        RepetitionCheck.tokens(text).compactMap { token in
            if case .word(let word) = token { return word }
            return nil
        }
    }
}

/// Splits post and bio text into the words that can describe a cohort.
///
/// Lower-cases ASCII, splits on anything that is not a letter, a digit, an apostrophe
/// inside a word, or a non-ASCII character (so "café" and "naïve" stay whole), and drops
/// hashtags (counted on their own), words under three characters, numbers and English stop words.
enum TermTokenizer {
    /// The words of `text`, in order.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        var inHashtag = false
        func flush() {
            defer {
                current.removeAll(keepingCapacity: true)
                inHashtag = false
            }
            while current.last == UInt8(ascii: "'") { current.removeLast() }
            guard !inHashtag, current.count >= 3, !current.allSatisfy({ (48...57).contains($0) }) else { return }
            let word = String(decoding: current, as: UTF8.self)
            if !stopWords.contains(word) { words.append(word) }
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte + 32)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), 0x80...: current.append(byte)
            case UInt8(ascii: "'") where !current.isEmpty: current.append(byte)
            case UInt8(ascii: "#") where current.isEmpty: inHashtag = true
            default: flush()
            }
        }
        flush()
        return words
    }

    static let stopWords: Set<String> = [
        "about", "above", "after", "again", "against", "all", "also", "and", "any", "are", "aren't", "because", "been",
        "before", "being", "below", "between", "both", "but", "can", "can't", "could", "did", "didn't", "does", "doesn't",
        "doing", "don't", "down", "during", "each", "every", "few", "for", "from", "further", "get", "got", "had", "has",
        "have", "having", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i'd", "i'll", "i'm", "i've",
        "into", "isn't", "it's", "its", "itself", "just", "let's", "like", "more", "most", "much", "must", "my", "myself",
        "new", "nor", "not", "now", "off", "once", "one", "only", "other", "our", "ours", "ourselves", "out", "over", "own",
        "really", "same", "she", "should", "since", "some", "still", "such", "than", "that", "that's", "the", "their",
        "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "thing", "things", "this", "those",
        "through", "too", "under", "until", "very", "was", "wasn't", "way", "we'll", "we're", "were", "what", "what's",
        "when", "where", "which", "while", "who", "whom", "why", "will", "with", "without", "won't", "would", "you",
        "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "she/her", "he/him",
        "they/them", "via", "yet", "ever", "even", "nobody", "anyone", "everyone", "someone", "something", "anything",
    ]
}

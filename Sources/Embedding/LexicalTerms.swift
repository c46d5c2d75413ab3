/// The words of a text as 32-bit term ids, for lexical scoring (BM25): the hashing
/// embedder's words (ASCII lower-cased, stop words and one-letter words left out), with a
/// hashtag the same term as the word (`#VO2max` and "vo2max" match), no word pairs.
public enum LexicalTerms {
    /// The term ids of `texts` in order, repeats kept (a term's count is its frequency).
    public static func of(_ texts: [String]) -> [UInt32] {
        var terms: [UInt32] = []
        for text in texts {
            _ = FeatureScanner.scan(text, field: .post, bigrams: false, saltsHashtags: false) { feature, _ in
                terms.append(UInt32(truncatingIfNeeded: HashingEmbedder.mix(feature) >> 32))
            }
        }
        return terms
    }

    /// The term ids of a post: its text, hashtags and topics, and each topic word once more as a
    /// topic term (``topicTerm(_:)``), sorted (repeats adjacent). A topic is a curated label of
    /// what the post is about, a word in the text may be a passing mention: a query that also
    /// asks for its words as topic terms (``ofQuery(_:)``) scores a label match above a mention,
    /// with the topic terms' own, rarer document frequencies.
    public static func ofPost(text: String, hashtags: [String], topics: [String]) -> [UInt32] {
        (of([text] + hashtags + topics) + of(topics).map(topicTerm)).sorted()
    }

    /// The term ids of a query: its words, and each again as a topic term.
    public static func ofQuery(_ text: String) -> [UInt32] {
        let words = of([text])
        return words + words.map(topicTerm)
    }

    /// A word's id as a topic term.
    public static func topicTerm(_ term: UInt32) -> UInt32 { term ^ 0x7A5F_1C3D }
}

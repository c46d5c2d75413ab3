/// How well a post answers a brief: its embedding's cosine with the brief's and the BM25 of
/// the brief's words in it, each divided by the best among the candidates, fused as
/// 0.6 · semantic + 0.4 · lexical (semantic alone when no candidate shares a word with the
/// brief). docs/CONTEXT.md explains the weights.
struct BriefMatch: Sendable, Equatable {
    /// The weight of the semantic part; the lexical part has the rest.
    static let semanticWeight = 0.6

    /// The share of the best candidate's match a post needs to be an exemplar.
    static let eligibleShare = 0.5

    /// No brief: every post matches fully.
    static let none = BriefMatch(brief: nil, lexical: nil, combined: 1)

    /// The raw cosine (nil without a brief).
    var brief: Double?
    /// BM25 over the best candidate's, 0…1 (nil without a brief).
    var lexical: Double?
    /// What the relevance is multiplied by.
    var combined: Double

    /// The match of a post with cosine `semantic` and BM25 `lexical`, against the best of the candidates.
    init(semantic: Double, lexical: Double, bestSemantic: Double, bestLexical: Double) {
        let semanticShare = max(0, semantic) / max(bestSemantic, 1e-9)
        let lexicalShare = bestLexical > 0 ? lexical / bestLexical : 0
        brief = semantic
        self.lexical = lexicalShare
        combined = bestLexical > 0 ? Self.semanticWeight * semanticShare + (1 - Self.semanticWeight) * lexicalShare : semanticShare
    }

    private init(brief: Double?, lexical: Double?, combined: Double) {
        self.brief = brief
        self.lexical = lexical
        self.combined = combined
    }
}

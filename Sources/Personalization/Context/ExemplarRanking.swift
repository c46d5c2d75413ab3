internal import Foundation
internal import ProfileStore

/// Ranks candidate posts for the writer: relevance = semantic × engagement × recency (× the
/// brief match when there is a brief), then maximal marginal relevance (MMR) so the exemplars are not five posts on one theme.
///
/// MMR picks, one at a time, the candidate maximising λ · relevance − (1 − λ) · s, where s is
/// its greatest similarity to a post already picked: 1 for the same author, else the mean of
/// the authors' cosine similarity and the Jaccard overlap of the posts' topics and hashtags.
struct ExemplarRanking {
    /// One candidate with what its score is made of.
    struct Candidate {
        var post: PostRecord
        var semantic: Double
        var engagement: Double
        var recency: Double
        /// How well the post answers the brief (see `BriefMatch`); 1 without a brief.
        var match = BriefMatch.none
        var relevance: Double { semantic * engagement * recency * match.combined }
    }

    /// The MMR trade-off λ (1: relevance only).
    var lambda: Double
    /// Cosine similarity between authors, by id pair.
    var authorSimilarity: (Int64, Int64) -> Double

    /// The best `count` candidates in MMR order, with the diversity each was picked at
    /// (1 − its greatest similarity to those before it) and its MMR value.
    ///
    /// - Complexity: O(n · count) similarities for n candidates: each candidate keeps its
    ///   greatest similarity so far, updated against the one post picked last.
    ///
    /// With a brief, relevance enters MMR divided by the best candidate's, so that it is on the
    /// similarity's 0…1 scale: otherwise posts that share the brief's topic with one picked
    /// before would lose to posts about something else.
    func select(_ candidates: [Candidate], count: Int) -> [(candidate: Candidate, diversity: Double, score: Double)] {
        var remaining = candidates.sorted { ($0.relevance, $1.post.id) > ($1.relevance, $0.post.id) }
        let scale = remaining.first.map { $0.match.brief != nil && $0.relevance > 0 ? 1 / $0.relevance : 1 } ?? 1
        var terms = remaining.map { Set($0.post.topics.map { $0.lowercased() } + $0.post.hashtags.map { "#" + $0.lowercased() }) }
        var greatest = [Double](repeating: 0, count: remaining.count)
        var picked: [(candidate: Candidate, diversity: Double, score: Double)] = []
        var last: (post: PostRecord, terms: Set<String>)?
        while picked.count < count, !remaining.isEmpty {
            var best = 0
            var bestScore = -Double.infinity
            for index in remaining.indices {
                if let last { greatest[index] = max(greatest[index], overlap(remaining[index].post, terms[index], last.post, last.terms)) }
                let score = lambda * scale * remaining[index].relevance - (1 - lambda) * greatest[index]
                if score > bestScore {
                    best = index
                    bestScore = score
                }
            }
            picked.append((remaining[best], 1 - greatest[best], bestScore))
            last = (remaining[best].post, terms[best])
            remaining.remove(at: best)
            terms.remove(at: best)
            greatest.remove(at: best)
        }
        return picked
    }

    private func overlap(_ a: PostRecord, _ ta: Set<String>, _ b: PostRecord, _ tb: Set<String>) -> Double {
        guard a.userID != b.userID else { return 1 }
        let shared = ta.count < tb.count ? ta.count(where: tb.contains) : tb.count(where: ta.contains)
        let union = ta.count + tb.count - shared
        let jaccard = union == 0 ? 0 : Double(shared) / Double(union)
        return 0.5 * max(0, authorSimilarity(a.userID, b.userID)) + 0.5 * jaccard
    }
}

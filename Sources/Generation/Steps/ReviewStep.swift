internal import Embedding
internal import Foundation
public import Personalization
public import Writer

/// A reviewed variant: the text as it will be posted, formatted for the platform, whether it
/// is ready or flagged and why, and its predicted engagement when the cohort has a model.
public struct Review: Codable, Sendable, Equatable {
    /// Ready to publish, or flagged for a person to look at first.
    public enum Verdict: String, Codable, Sendable {
        case ready, flagged
    }

    /// How close the draft came to a post it was shown or the creator's own recent ones.
    public struct Originality: Codable, Sendable, Equatable {
        /// The highest embedding cosine to one of them, and which post.
        public var cosine: Double
        public var closestPostID: Int64?
        /// The longest run of words shared with one of them (0 under eight), and which post.
        public var sharedWords: Int
        public var sharedPostID: Int64?
    }

    /// The predicted engagement against the creator's typical post, at the planned time.
    public struct Score: Codable, Sendable, Equatable {
        public var relativeToBaseline: Double
        public var low: Double
        public var high: Double
        public var expectedEngagementRate: Double
    }

    public var variant: Int
    public var angle: Angle
    public var verdict: Verdict
    /// The text as it will be posted, and formatted for the platform.
    public var text: String
    public var post: FormattedPost
    /// Why it is flagged (empty when ready).
    public var flags: [String]
    /// What the review checked or fixed.
    public var notes: [String]
    /// Whether the first draft was rewritten (once, at most).
    public var rewritten: Bool
    public var originality: Originality
    public var score: Score?
    /// The draft the text comes from (the rewrite when there was one).
    public var draft: Draft

    var summary: String {
        "\(verdict.rawValue)\(rewritten ? " after a rewrite" : "")"
            + (score.map { String(format: ", %.2f× the creator's typical engagement", $0.relativeToBaseline) } ?? "")
            + (flags.isEmpty ? "" : ": " + flags.joined(separator: "; "))
    }
}

/// The review step: the platform's rules, the originality guard, no other creator's handle,
/// no degenerate repetition, no unfinished post ranked as finished, and the predicted engagement.
struct ReviewStep: Sendable {
    static let name = "review"
    /// An embedding cosine at or above this to a shown or own post is too close.
    static let maximumCosine = 0.9

    let engine: PersonalizationEngine

    /// What drafts are compared with: the exemplars and the creator's recent posts, their 8-word
    /// windows and their embeddings (nil when the embedder failed: the cosine check is skipped).
    /// Made once per generation, for all its variants.
    struct Sources: Sendable {
        var posts: [(id: Int64, text: String, runs: SharedRuns)]
        var vectors: [Float]?
    }

    func sources(for research: Research) async -> Sources {
        let posts = research.context.exemplars.map { ($0.postID, $0.text) } + research.ownRecentPosts.map { ($0.postID, $0.text) }
        return Sources(posts: posts.map { (id: $0.0, text: $0.1, runs: SharedRuns($0.1)) }, vectors: await embed(posts.map(\.1)))
    }

    /// Reviews `draft` against `sources`; a draft with a problem a rewrite can fix (repetition,
    /// copying) is rewritten once through `rewrite`, then flagged if the problem stays.
    ///
    /// `earlier` are the variants reviewed before this one: a draft that repeats one of them (a
    /// shared 8-word run, or a cosine at or above ``maximumCosine``) adds nothing to the choice.
    func run(
        _ draft: Draft, request: GenerationRequest, research: Research, plan: ContentPlan, sources: Sources,
        earlier: [(variant: Int, text: String)] = [], rewrite: (WriterAgent.Request.Revision) async throws(GenerationError) -> Draft
    ) async throws(GenerationError) -> Review {
        var current = draft
        var notes: [String] = []
        var rewritten = false
        let earlierVectors = earlier.isEmpty ? [] : await embed(earlier.map(\.text))
        while true {
            let (text, removed) = Self.withoutForeignHandles(current.text, context: research.context)
            // The draft is embedded once for both comparisons: with the posts and with the earlier variants.
            let vector = text.isEmpty ? nil : await embed([text])
            let originality = originality(of: text, vector: vector, sources: sources)
            var problems: [String] = []
            if let repetition = RepetitionCheck.measure(text).problem { problems.append(repetition) }
            if originality.sharedWords >= SharedRuns.minimumWords, let post = originality.sharedPostID {
                problems.append("shares a run of \(originality.sharedWords) words with post \(post)")
            }
            if originality.cosine >= Self.maximumCosine, let post = originality.closestPostID {
                problems.append(String(format: "too close to post %lld (cosine %.2f)", post, originality.cosine))
            }
            if let repeated = Self.repeatedVariant(text, vector: vector, earlier: earlier, earlierVectors: earlierVectors) {
                problems.append(repeated)
            }
            if !problems.isEmpty, !rewritten {
                notes.append("rewritten once: " + problems.joined(separator: "; "))
                current = try await rewrite(.init(draft: current.text, problems: problems))
                rewritten = true
                continue
            }
            var flags = problems
            if !removed.isEmpty { notes.append("removed mentions of other creators: " + removed.map { "@" + $0 }.joined(separator: ", ")) }
            if current.truncated { flags.append("cut at the token limit: trimmed to its last full sentence, so not a finished post") }
            if text.isEmpty { flags.append("the provider wrote nothing") }
            let post = PlatformFormatter.format(text, for: plan.platform, hashtags: text.contains("#") ? [] : plan.hashtags)
            let rules = Self.checkRules(post, plan: plan)
            notes += rules.notes
            flags += rules.violations
            let score = await score(text, request: request, plan: plan, notes: &notes)
            return Review(
                variant: draft.variant, angle: draft.angle, verdict: flags.isEmpty ? .ready : .flagged, text: text, post: post, flags: flags,
                notes: notes, rewritten: rewritten, originality: originality, score: score, draft: current)
        }
    }

    /// `text` without @mentions of the creators the context showed (exemplar authors, similar
    /// creators), and the handles removed. The creator's own handle stays.
    static func withoutForeignHandles(_ text: String, context: PersonalizationContext) -> (String, [String]) {
        let others = Set((context.exemplars.map(\.authorHandle) + context.similarCreators.map(\.handle)).map { $0.lowercased() })
            .subtracting([context.creator.handle.lowercased()])
        var removed: [String] = []
        var kept: [Substring] = []
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if word.hasPrefix("@") {
                let handle = word.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
                let name = String(handle.hasSuffix(".") ? handle.dropLast() : handle)
                if others.contains(name.lowercased()) {
                    removed.append(name)
                    let rest = word.dropFirst(1 + name.count)
                    if !rest.isEmpty { kept.append(rest) }
                    continue
                }
            }
            kept.append(word)
        }
        return (kept.joined(separator: " ").replacingOccurrences(of: "  ", with: " ").trimmingCharacters(in: .whitespacesAndNewlines), removed)
    }

    /// The platform's rules on the formatted post: what holds, and what does not.
    static func checkRules(_ post: FormattedPost, plan: ContentPlan) -> (notes: [String], violations: [String]) {
        var notes: [String] = []
        var violations: [String] = []
        switch plan.platform {
        case .x:
            let long = post.parts.filter { PlatformFormatter.xLength($0) > PlatformFormatter.xLimit }
            if !long.isEmpty { violations.append("\(long.count) post(s) over \(PlatformFormatter.xLimit) characters") }
            if post.parts.count > 1 {
                let numbered = post.parts.enumerated().allSatisfy { $1.hasSuffix(" \($0 + 1)/\(post.parts.count)") }
                if !numbered { violations.append("the thread's posts are not numbered i/n") }
                notes.append("a thread of \(post.parts.count) numbered posts" + (plan.format == .singlePost ? " (longer than the one post planned)" : ""))
            } else {
                notes.append("one post within \(PlatformFormatter.xLimit) characters")
            }
        case .instagram, .tiktok:
            if post.parts.joined().count > PlatformFormatter.captionLimit { violations.append("caption over \(PlatformFormatter.captionLimit) characters") }
            if plan.platform == .instagram, post.hashtags.count > PlatformFormatter.instagramHashtagLimit {
                violations.append("over \(PlatformFormatter.instagramHashtagLimit) hashtags")
            }
            notes.append("caption of \(post.parts.joined().count) characters, \(post.hashtags.count) hashtags")
        case .youtube:
            if (post.title?.count ?? 0) > PlatformFormatter.youTubeTitleLimit {
                violations.append("title over \(PlatformFormatter.youTubeTitleLimit) characters")
            }
            if (post.title ?? "").isEmpty { violations.append("no title") }
            notes.append("title of \(post.title?.count ?? 0) characters, description of \(post.parts.joined().count)")
        }
        return (notes, violations)
    }

    /// The embeddings of `texts`, nil when the embedder fails (the cosine check is then skipped).
    private func embed(_ texts: [String]) async -> [Float]? {
        guard !texts.isEmpty else { return [] }
        let documents = texts.map { ProfileDocument(name: "", bio: "", posts: [.init(text: $0, publishedAt: Date())], postLimit: 1) }
        return try? await engine.embedder.embed(documents)
    }

    /// How close `text` (embedded as `vector`, nil when the embedder failed) comes to the posts in `sources`.
    private func originality(of text: String, vector: [Float]?, sources: Sources) -> Review.Originality {
        var result = Review.Originality(cosine: 0, closestPostID: nil, sharedWords: 0, sharedPostID: nil)
        let words = SharedRuns.words(text)
        for source in sources.posts {
            let run = source.runs.longestRun(in: words)
            if run > result.sharedWords { (result.sharedWords, result.sharedPostID) = (run, source.id) }
        }
        guard let vector, let vectors = sources.vectors else { return result }
        for (index, cosine) in Self.cosines(of: vector, with: vectors).enumerated() where Double(cosine) > result.cosine {
            (result.cosine, result.closestPostID) = ((Double(cosine) * 1_000).rounded() / 1_000, sources.posts[index].id)
        }
        return result
    }

    /// How `text` repeats an earlier variant (a shared run of 8 words or more, or a cosine at or
    /// above ``maximumCosine`` between `vector` and the earlier variant's), or nil when it does not.
    private static func repeatedVariant(_ text: String, vector: [Float]?, earlier: [(variant: Int, text: String)], earlierVectors: [Float]?) -> String? {
        let words = SharedRuns.words(text)
        for sibling in earlier {
            let run = SharedRuns(sibling.text).longestRun(in: words)
            if run >= SharedRuns.minimumWords { return "repeats variant \(sibling.variant) (a run of \(run) shared words)" }
        }
        guard let vector, let earlierVectors else { return nil }
        for (index, cosine) in cosines(of: vector, with: earlierVectors).enumerated() where Double(cosine) >= maximumCosine {
            return String(format: "repeats variant %d (cosine %.2f)", earlier[index].variant, cosine)
        }
        return nil
    }

    /// The dot products of `vector` with each row of `rows` (row-major, `vector.count` wide): cosines,
    /// the embedder's vectors being unit vectors.
    private static func cosines(of vector: [Float], with rows: [Float]) -> [Float] {
        stride(from: 0, to: rows.count, by: vector.count).map { start in
            zip(vector, rows[start..<start + vector.count]).reduce(0) { $0 + $1.0 * $1.1 }
        }
    }

    /// The predicted engagement at the planned time; nil (with a note) when the cohort has no model.
    private func score(_ text: String, request: GenerationRequest, plan: ContentPlan, notes: inout [String]) async -> Review.Score? {
        guard !text.isEmpty else { return nil }
        do {
            let score = try await engine.score(
                userID: request.userID,
                draft: .init(text: String(text.prefix(PersonalizationEngine.maximumDraftLength)), platform: plan.platform.rawValue, at: plan.plannedAt))
            return Review.Score(
                relativeToBaseline: score.relativeToBaseline, low: score.low, high: score.high, expectedEngagementRate: score.expectedEngagementRate)
        } catch {
            notes.append("no engagement prediction: \(error.message)")
            return nil
        }
    }
}

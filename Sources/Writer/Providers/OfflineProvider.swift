internal import Foundation
public import Personalization

/// Writes without a network: a deterministic draft composed from the personalization context
/// (the brief or the cohort's top trend, the creator's style and hashtags, a line from the best
/// exemplar's theme), streamed word by word. The same context and brief give the same draft.
public struct OfflineProvider: LLMProvider {
    public let name = "offline"
    public let model = "onering-offline-drafter-v1"
    let draft: String

    /// A drafter for `context`, `brief` and `platform`; an `angle` (`how-to`, `story`,
    /// `question`, `contrarian`, `lessons`, or any other name for another wording) shapes the draft.
    public init(context: PersonalizationContext, brief: String?, platform: Platform, angle: String? = nil) {
        draft = Self.compose(context: context, brief: brief, platform: platform, angle: angle)
    }

    /// Streams the draft a word at a time; `messages` are not needed (the draft comes from the context).
    public func stream(_ messages: [ChatMessage], maximumTokens: Int) -> AsyncThrowingStream<LLMEvent, any Error> {
        let words = draft.split(separator: " ", omittingEmptySubsequences: false).prefix(max(1, maximumTokens))
        return AsyncThrowingStream { continuation in
            for (index, word) in words.enumerated() { continuation.yield(.token(index == 0 ? String(word) : " " + word)) }
            continuation.yield(
                .finished(promptTokens: messages.reduce(0) { $0 + $1.content.utf8.count / 4 }, completionTokens: words.count, finishReason: "stop"))
            continuation.finish()
        }
    }

    static func compose(context: PersonalizationContext, brief: String?, platform: Platform, angle: String? = nil) -> String {
        let topic =
            brief?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            ?? context.trendingTopics.first?.topic
            ?? context.cohort?.terms.first
            ?? "what I have been working on"
        let tags = (context.style.topHashtags + (context.exemplars.first?.hashtags ?? [])).reduce(into: [String]()) { list, tag in
            if !list.contains(tag) { list.append(tag) }
        }
        // A stable choice among openings, by the creator and the topic (not random: the demo must repeat).
        let openings = [
            "Here is what nobody tells you about \(topic).",
            "I have been thinking about \(topic) all week.",
            "Quick lessons on \(topic), from someone still learning.",
            "\(topic.prefix(1).uppercased() + topic.dropFirst()) is changing how I work, and here is why.",
            "A few honest notes on \(topic) after a long month.",
        ]
        var hash = UInt64(14_695_981_039_346_656_037)
        for byte in "\(context.creator.id)|\(topic)".utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        let name = angle.map { String($0.prefix { $0 != " " }) }
        // Each angle opens differently and says something of its own, so no two variants share a
        // sentence (the review flags a variant that repeats another); a rewrite opens differently again.
        let angles = ["how-to", "story", "question", "contrarian", "lessons"]
        let shift = (name.flatMap { angles.firstIndex(of: $0) } ?? 0) + (angle?.hasSuffix("rewritten") == true ? 2 : 0)
        let opening = openings[Int((hash % UInt64(openings.count) + UInt64(shift)) % UInt64(openings.count))]
        let cohortWords = context.cohort.map { $0.terms.prefix(2).joined(separator: " and ") }
        let theme = context.exemplars.first.flatMap { $0.topics.first ?? $0.hashtags.first }
        var sentences = [opening]
        switch name {
        case "story":
            sentences.append("Last month I tried it myself, and the lesson surprised me: small and steady beats big and rare.")
            if let cohortWords { sentences.append("People who follow \(cohortWords) ask me about that month all the time.") }
            sentences.append("What was your turning point?")
        case "question":
            sentences.append("I keep going back and forth on it, and I would rather hear from people who have tried it.")
            sentences.append("Where do you stand, and why?")
        case "contrarian":
            sentences.append("Unpopular opinion: most advice about it is far too complicated.")
            sentences.append("Do less, do it every week, and ignore the rest. Change my mind?")
        case "lessons":
            sentences.append("Three lessons so far: 1. Start small. 2. Measure honestly. 3. Keep only what works.")
            sentences.append("Which one would you add?")
        default:
            if let cohortWords { sentences.append("Everyone in \(cohortWords) keeps asking me about it.") }
            if let theme { sentences.append("The best advice I have seen lately was about \(theme): start small and be consistent.") }
            sentences.append(
                context.style.threadShare > 0.2 || platform == .youtube
                    ? "Start with one habit. Measure it for a week. Then decide what to keep."
                    : "Start with one habit and measure it for a week.")
            sentences.append("What would you add?")
        }
        let hashtags = tags.prefix(platform == .x ? 2 : 5).map { "#" + $0 }.joined(separator: " ")
        return sentences.joined(separator: " ") + (hashtags.isEmpty ? "" : " " + hashtags)
    }
}

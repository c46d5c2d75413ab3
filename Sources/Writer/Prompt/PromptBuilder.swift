internal import Foundation
public import Personalization

/// Builds the chat messages of a generation from the personalization context, the brief and
/// the platform, with the template in `Resources/writer-prompt.txt`.
///
/// The prompt stays within a token budget (UTF-8 bytes / 4, as the context estimates):
/// exemplars are dropped from the lowest-ranked down to three, then their texts are shortened.
public struct PromptBuilder: Sendable {
    /// The template's system and user sections.
    let system: String, user: String

    /// The packaged template.
    public static func packaged() throws(WriterError) -> PromptBuilder {
        guard let url = Bundle.module.url(forResource: "writer-prompt", withExtension: "txt"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            throw WriterError(.invalidConfiguration, "the writer's prompt template (writer-prompt.txt) is missing from the package")
        }
        return try PromptBuilder(template: text)
    }

    /// A builder for `template`: lines of `---` separate the system and user sections; lines starting with `#` are comments.
    public init(template: String) throws(WriterError) {
        let lines = template.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }
        let sections = lines.split(whereSeparator: { $0 == "---" }).map { $0.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) }
        guard sections.count == 2 else { throw WriterError(.invalidConfiguration, "the prompt template needs a system and a user section separated by ---") }
        system = sections[0]
        user = sections[1]
    }

    /// The messages for `context`, `brief` (or the cohort's top trend when empty) and `platform`.
    ///
    /// - Returns: the messages and the context items they use (`creator:…`, `cohort:…`, `post:…`).
    /// - Throws: `.invalidInput` when there is neither a brief nor a trending topic to write about.
    public func messages(
        context: PersonalizationContext, brief: String?, platform: Platform,
        tokenBudget: Int = 1_500
    ) throws(WriterError) -> (messages: [ChatMessage], items: [String]) {
        guard let topic = Self.topic(context: context, brief: brief) else {
            throw WriterError(.invalidInput, "nothing to write about: give a brief (creator \(context.creator.id)'s cohort has no trending topic)")
        }
        let style = context.style
        let styleText =
            style.posts == 0
            ? "no posts yet: clear, friendly, concrete"
            : [
                "posts of about \(style.medianLength) characters",
                String(format: "%.1f hashtags a post", style.hashtagsPerPost)
                    + (style.topHashtags.isEmpty ? "" : " (often " + style.topHashtags.prefix(3).map { "#" + $0 }.joined(separator: " ") + ")"),
                style.emojiShare > 0.2 ? "uses emoji" : "few or no emoji",
                style.threadShare > 0.2 ? "often writes threads" : "single posts",
            ].joined(separator: "; ")
        let trending = context.trendingTopics.prefix(3).map(\.topic)
        let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        let postingTime =
            context.postingTimes.first.map { slot in
                "\(weekdays[slot.weekday]) \(slot.hour):00 UTC" + (slot.uplift.map { String(format: " (%.2f× an average hour)", $0) } ?? "")
            } ?? "any time"
        let performs = context.strategy.whatPerforms.map(\.hint)
        var exemplars = Array(context.exemplars.prefix(5))
        var textLimit = 400
        var items = ["creator:\(context.creator.id)"] + (context.cohort.map { ["cohort:\($0.runID)/\($0.id)"] } ?? [])
        func render() -> [ChatMessage] {
            // Other creators' words are data: each is quoted (one line, its quotes escaped)
            // inside a block the system message says never to follow.
            let exemplarText =
                exemplars.isEmpty
                ? "(none yet)"
                : exemplars.enumerated().map { index, post in
                    "\(index + 1). @\(post.authorHandle) on \(post.platform), \(ISO8601DateFormatter().string(from: post.publishedAt)) [post \(post.postID)]: \(Self.quoted(String(post.text.prefix(textLimit))))"
                }.joined(separator: "\n")
            let values = [
                "name": context.creator.name, "handle": context.creator.handle, "bio": context.creator.bio.nilIfEmpty ?? "(no bio)",
                "platform": platform.rawValue, "style": styleText, "cohort": context.cohort?.label ?? "none yet",
                "trending": trending.isEmpty ? "none measured" : trending.joined(separator: ", "), "exemplars": exemplarText,
                "posting_time": postingTime, "platform_rules": Self.rules(platform), "brief": topic,
                "what_performs": performs.isEmpty ? "nothing measured yet" : performs.joined(separator: "; "),
            ]
            return [ChatMessage(role: .system, content: Self.fill(system, values)), ChatMessage(role: .user, content: Self.fill(user, values))]
        }
        var messages = render()
        while messages.reduce(0, { $0 + $1.content.utf8.count }) / 4 > tokenBudget {
            if exemplars.count > 3 { exemplars.removeLast() } else if textLimit > 80 { textLimit /= 2 } else { break }
            messages = render()
        }
        items += exemplars.map { "post:\($0.postID)" }
        return (messages, items)
    }

    /// `text` as one quoted line: line breaks become spaces, quotes are escaped, and `</` is escaped, so a quoted
    /// example cannot end its quote or its block and pose as an instruction.
    static func quoted(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\""
            + flat.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "</", with: "<\\/") + "\""
    }

    /// The brief, or a request about the cohort's top trending topic; nil when there is neither.
    static func topic(context: PersonalizationContext, brief: String?) -> String? {
        brief?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            ?? context.trendingTopics.first.map { "Write a post about \($0.topic), which is trending with this audience right now." }
    }

    static func rules(_ platform: Platform) -> String {
        switch platform {
        case .x: "at most 280 characters; for more, a thread of short sentences; at most two hashtags."
        case .instagram: "a caption under 2,200 characters; a hook in the first line; hashtags (at most 30) at the end."
        case .tiktok: "a caption under 2,200 characters including hashtags; punchy and spoken."
        case .youtube: "the first sentence is the video's title (under 100 characters); then a description."
        }
    }

    /// `template` with each `{{name}}` replaced by `values[name]`, in one pass from left to right:
    /// a value is never scanned again, so a bio or a post holding `{{brief}}` stays as written,
    /// and the result does not depend on the dictionary's order. Unknown placeholders stay as they are.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var text = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            text += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = String(rest[open.upperBound..<close.lowerBound])
            text += values[name] ?? String(rest[open.lowerBound..<close.upperBound])
            rest = rest[close.upperBound...]
        }
        return text + rest
    }
}

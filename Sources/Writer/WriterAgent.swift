internal import Foundation
public import Personalization

/// The writer agent: the creator's personalization context and a brief in, a post for a
/// platform out, streamed as the provider writes it.
public struct WriterAgent: Sendable {
    /// What to write.
    public struct Request: Sendable {
        /// What the post is about; nil or empty: the cohort's top trending topic.
        public var brief: String?
        public var platform: Platform
        /// The most tokens the provider may write. Default: the platform's ``Platform/defaultMaximumTokens``.
        public var maximumTokens: Int
        /// The prompt's token budget. Default 1,500.
        public var promptTokenBudget: Int
        /// Lines added to the writer's request (an angle, a format, the hashtags to use).
        public var directions: [String]
        /// A draft to rewrite and what is wrong with it: the provider sees its draft and is asked for another.
        public var revision: Revision?

        /// A draft sent back for a rewrite.
        public struct Revision: Sendable, Equatable {
            public var draft: String
            public var problems: [String]

            public init(draft: String, problems: [String]) {
                self.draft = draft
                self.problems = problems
            }
        }

        /// A request with the defaults above.
        public init(
            brief: String? = nil, platform: Platform, maximumTokens: Int? = nil, promptTokenBudget: Int = 1_500, directions: [String] = [],
            revision: Revision? = nil
        ) {
            self.brief = brief
            self.platform = platform
            self.maximumTokens = maximumTokens ?? platform.defaultMaximumTokens
            self.promptTokenBudget = promptTokenBudget
            self.directions = directions
            self.revision = revision
        }
    }

    /// What a generation produced.
    public struct Result: Sendable, Codable, Equatable {
        /// Time from the request to the first token, and in all, in milliseconds.
        public struct Timings: Sendable, Codable, Equatable {
            public var firstTokenMilliseconds: Double
            public var totalMilliseconds: Double
        }

        /// The post(s), fitted to the platform.
        public var post: FormattedPost
        /// The text as the provider wrote it.
        public var text: String
        public var provider: String
        public var model: String
        /// The context items the prompt used: `creator:…`, `cohort:run/id`, `post:…`.
        public var contextItems: [String]
        public var promptTokens: Int?
        public var completionTokens: Int?
        /// Why the provider stopped: `stop`, or `length` when it ran into the token limit (nil when it did not say).
        public var finishReason: String?
        /// True when the provider was cut off at the token limit: the text was trimmed to its
        /// last full sentence before formatting, and is shorter than the model meant it.
        public var truncated: Bool
        public var timings: Timings
    }

    /// What a generation streams.
    public enum Event: Sendable, Equatable {
        /// A piece of text as the provider sent it.
        case token(String)
        /// The formatted result, once the provider is done.
        case done(Result)
    }

    public let provider: any LLMProvider
    let prompts: PromptBuilder

    /// An agent writing with `provider` and the packaged prompt template.
    public init(provider: any LLMProvider) throws(WriterError) {
        self.provider = provider
        prompts = try PromptBuilder.packaged()
    }

    /// An agent writing with `provider` and `prompts`.
    public init(provider: any LLMProvider, prompts: PromptBuilder) {
        self.provider = provider
        self.prompts = prompts
    }

    /// Streams the post for `context` and `request`: tokens, then one `.done`. A provider failure
    /// ends the stream with its ``WriterError`` (`.incomplete` when text had already arrived).
    ///
    /// - Throws: `.invalidInput` when there is neither a brief nor a trending topic to write about.
    public func generate(context: PersonalizationContext, request: Request) throws(WriterError) -> AsyncThrowingStream<Event, any Error> {
        let started = ContinuousClock.now
        let (prompt, items) = try prompts.messages(
            context: context, brief: request.brief, platform: request.platform,
            tokenBudget: request.promptTokenBudget)
        var messages = prompt
        if !request.directions.isEmpty { messages[messages.count - 1].content += "\n\n" + request.directions.joined(separator: "\n") }
        if let revision = request.revision {
            messages.append(ChatMessage(role: .assistant, content: revision.draft))
            messages.append(
                ChatMessage(
                    role: .user,
                    content: "Rewrite the post above. Problems: \(revision.problems.joined(separator: "; ")). Write it in your own words, "
                        + "repeat no sentence, quote none of the examples and name no other creator. Answer with the post only."))
        }
        let upstream = provider.stream(messages, maximumTokens: request.maximumTokens)
        let provider = provider
        return AsyncThrowingStream { continuation in
            let task = Task {
                var text = ""
                var firstToken: Duration?
                do {
                    for try await event in upstream {
                        switch event {
                        case .token(let piece):
                            if firstToken == nil { firstToken = ContinuousClock.now - started }
                            text += piece
                            continuation.yield(.token(piece))
                        case .finished(let promptTokens, let completionTokens, let finishReason):
                            let total = ContinuousClock.now - started
                            let truncated = finishReason == "length"
                            var trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                            if truncated { trimmed = Self.lastFullSentence(of: trimmed) }
                            continuation.yield(
                                .done(
                                    Result(
                                        post: PlatformFormatter.format(trimmed, for: request.platform), text: trimmed,
                                        provider: provider.name, model: provider.model, contextItems: items,
                                        promptTokens: promptTokens, completionTokens: completionTokens, finishReason: finishReason, truncated: truncated,
                                        timings: .init(
                                            firstTokenMilliseconds: Self.milliseconds(firstToken ?? total), totalMilliseconds: Self.milliseconds(total))
                                    )))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// `text` up to the end of its last full sentence (`.`, `!`, `?` or `…`, with closing quotes
    /// or brackets), or up to its last line break when no sentence ends; all of it when neither exists.
    static func lastFullSentence(of text: String) -> String {
        let closers: Set<Character> = ["\"", "'", ")", "]", "\u{201D}", "\u{2019}"]
        var end: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if ".!?…".contains(character) {
                var after = text.index(after: index)
                while after < text.endIndex, closers.contains(text[after]) { after = text.index(after: after) }
                if after == text.endIndex || text[after].isWhitespace { end = after }
            }
            index = text.index(after: index)
        }
        if let end { return String(text[..<end]) }
        if let lineBreak = text.lastIndex(of: "\n") { return String(text[..<lineBreak]).trimmingCharacters(in: .whitespacesAndNewlines) }
        return text
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}

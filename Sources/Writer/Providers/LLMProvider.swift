/// One message of a chat: the system prompt, the user's request, or an earlier answer.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// Who speaks.
    public enum Role: String, Sendable, Codable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    /// A message.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// What a provider streams: text as it is generated, then how it ended.
public enum LLMEvent: Sendable, Equatable {
    /// A piece of the answer.
    case token(String)
    /// The provider finished; token counts when it reported them, and why it stopped
    /// (`stop`, `length` when it ran into `max_tokens`, … as the provider says; nil when it did not say).
    case finished(promptTokens: Int?, completionTokens: Int?, finishReason: String?)
}

/// A chat model that streams its answer: Groq or any OpenAI-compatible API, or the offline drafter.
public protocol LLMProvider: Sendable {
    /// The provider's name, e.g. "groq", reported with every result.
    var name: String { get }
    /// The model that writes, reported with every result.
    var model: String { get }

    /// Streams the answer to `messages`. The stream ends with one `.finished` event, or throws a
    /// ``WriterError`` (`.incomplete` if it broke off after some tokens). Cancelling the
    /// consuming task stops the request.
    func stream(_ messages: [ChatMessage], maximumTokens: Int) -> AsyncThrowingStream<LLMEvent, any Error>
}

public import struct Foundation.Date

/// One generation as the monitoring dashboard shows it: who, where, which model, how it ended, how long it took.
public struct GenerationTrace: Codable, Sendable, Equatable {
    /// How a generation ended.
    public enum Status: String, Codable, Sendable {
        case succeeded, failed, cancelled
    }

    /// The trace's id (0 before it is stored).
    public var id: Int64
    /// The creator the post was written for.
    public var userID: Int64
    /// The platform the post was formatted for.
    public var platform: String
    /// The LLM provider and model.
    public var provider: String
    public var model: String
    public var status: Status
    public var startedAt: Date
    /// Time from the request to the end of the stream, and to its first token (nil when none came).
    public var durationMilliseconds: Double
    public var firstTokenMilliseconds: Double?
    /// The personalization context items the prompt used (`creator:…`, `cohort:…`, `post:…`).
    public var contextItems: [String]
    /// Why it failed, when it did.
    public var error: String?
    /// The generation job it ran for (nil for a streamed generation).
    public var generationID: Int64?
    /// The variants asked for.
    public var variants: Int
    /// A span per step, in the order they started.
    public var spans: [GenerationSpan]

    /// A trace.
    public init(
        id: Int64 = 0, userID: Int64, platform: String, provider: String, model: String, status: Status, startedAt: Date,
        durationMilliseconds: Double, firstTokenMilliseconds: Double? = nil, contextItems: [String] = [], error: String? = nil,
        generationID: Int64? = nil, variants: Int = 1, spans: [GenerationSpan] = []
    ) {
        self.id = id
        self.userID = userID
        self.platform = platform
        self.provider = provider
        self.model = model
        self.status = status
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.firstTokenMilliseconds = firstTokenMilliseconds
        self.contextItems = contextItems
        self.error = error
        self.generationID = generationID
        self.variants = variants
        self.spans = spans
    }
}

public import ProfileStore

/// What a generation reports as it runs.
public enum GenerationEvent: Sendable {
    /// A step ended (or was taken from an earlier attempt of the job: `resumed`).
    case step(key: String, span: GenerationSpan, resumed: Bool)
    /// The plan is made and the first draft is about to be written.
    case writing
    /// A piece of variant `variant`'s text as the provider wrote it.
    case token(variant: Int, text: String)
    /// A provider call for variant `variant` failed and is retried: drop its text so far.
    case retry(variant: Int, attempt: Int, reason: String)
    /// The ranked variants.
    case done(GenerationResult)
}

/// A direction a variant takes on the same brief: the strategy step proposes one per variant.
public struct Angle: Codable, Sendable, Equatable {
    /// A short name: `how-to`, `story`, `contrarian`, `question`, `lessons`.
    public var name: String
    /// What the writer is asked to do.
    public var instruction: String
    /// Why this angle, when the cohort's strategy model says it performs.
    public var reason: String?

    public init(name: String, instruction: String, reason: String? = nil) {
        self.name = name
        self.instruction = instruction
        self.reason = reason
    }

    /// Every angle, in the order they are proposed when nothing is measured; `feature` names the
    /// post feature (``ProfileStore/PostFeatures``) whose measured uplift moves an angle up.
    static let catalog: [(angle: Angle, feature: String?)] = [
        (Angle(name: "how-to", instruction: "Give practical, concrete steps the reader can try this week."), "hook"),
        (Angle(name: "story", instruction: "Tell it as a short first-person story with one lesson at the end."), nil),
        (Angle(name: "question", instruction: "Open a conversation: share a view and end with a question to the audience."), "question"),
        (Angle(name: "contrarian", instruction: "Take a clear, reasoned position against a common belief about it."), nil),
        (Angle(name: "lessons", instruction: "Share three numbered lessons, one line each."), "thread"),
    ]
}

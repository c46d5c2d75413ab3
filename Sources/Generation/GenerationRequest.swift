internal import Foundation
internal import Personalization
public import Writer

/// What a generation is asked for: the creator, the platform, the brief, how many variants.
/// A job stores it as JSON, so a retried job runs the same request.
public struct GenerationRequest: Codable, Sendable, Equatable {
    /// The most variants a generation writes.
    public static let maximumVariants = 5

    public var userID: Int64
    public var platform: Platform
    /// What the post is about; nil: the cohort's top trending topic.
    public var brief: String?
    /// Drafts written from different angles, reviewed and ranked (1…5).
    public var variants: Int
    /// Similar creators the context searches (1…100).
    public var similarCreators: Int
    /// Cohort-partitioned context search over `nprobe` cohorts; exact when nil.
    public var nprobe: Int?
    /// The most tokens a draft may take (16…4,000).
    public var maximumTokens: Int
    /// The creator's IANA time zone (`Europe/Berlin`), when known: the schedule says the local time
    /// and keeps the post out of the creator's night when an almost as good slot allows.
    public var timeZone: String?
    /// Whether the context may embed a creator who has no embedding yet (a write: off for a
    /// caller who may not write the creator's data). Nil: yes.
    public var embedsOnDemand: Bool?

    /// A request; `maximumTokens` defaults to the platform's.
    public init(
        userID: Int64, platform: Platform, brief: String? = nil, variants: Int = 1, similarCreators: Int = 10, nprobe: Int? = nil,
        maximumTokens: Int? = nil, timeZone: String? = nil
    ) {
        self.userID = userID
        self.platform = platform
        self.brief = brief
        self.variants = variants
        self.similarCreators = similarCreators
        self.nprobe = nprobe
        self.maximumTokens = maximumTokens ?? platform.defaultMaximumTokens
        self.timeZone = timeZone
    }

    /// The request with a blank brief as none.
    ///
    /// - Throws: `.invalidInput` naming the field out of range.
    public func validated() throws(GenerationError) -> GenerationRequest {
        guard userID > 0 else { throw GenerationError(.invalidInput, "user_id must be a positive integer") }
        guard (1...Self.maximumVariants).contains(variants) else {
            throw GenerationError(.invalidInput, "variants must be in 1...\(Self.maximumVariants), got \(variants)")
        }
        let maximumK = PersonalizationEngine.ContextOptions.maximumSimilarCreators
        guard (1...maximumK).contains(similarCreators) else { throw GenerationError(.invalidInput, "k must be in 1...\(maximumK)") }
        if let nprobe, !(1...4_096).contains(nprobe) { throw GenerationError(.invalidInput, "nprobe must be in 1...4096") }
        guard (16...4_000).contains(maximumTokens) else { throw GenerationError(.invalidInput, "max_tokens must be in 16...4000") }
        var checked = self
        if let brief {
            guard brief.count <= PersonalizationEngine.maximumBriefLength else {
                throw GenerationError(
                    .invalidInput, "the brief holds at most \(PersonalizationEngine.maximumBriefLength) characters, got \(brief.count)")
            }
            let trimmed = brief.trimmingCharacters(in: .whitespacesAndNewlines)
            checked.brief = trimmed.isEmpty ? nil : trimmed
        }
        if let timeZone {
            guard timeZone.count <= 64, TimeZone(identifier: timeZone) != nil else {
                throw GenerationError(.invalidInput, "time_zone must be an IANA time zone such as Europe/Berlin, got \"\(timeZone.prefix(64))\"")
            }
        }
        return checked
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case platform, brief, variants
        case similarCreators = "k"
        case nprobe
        case maximumTokens = "max_tokens"
        case timeZone = "time_zone"
        case embedsOnDemand = "embeds_on_demand"
    }
}

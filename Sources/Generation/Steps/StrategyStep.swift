public import Foundation
public import Personalization
public import Writer

/// What the strategy step planned: the format, the length, the hashtags, when to publish, what
/// performs with the audience, and an angle per variant.
public struct ContentPlan: Codable, Sendable, Equatable {
    /// The hour of the week the plan aims at (UTC) and its measured uplift against an average hour.
    public struct Slot: Codable, Sendable, Equatable {
        /// Monday 0 … Sunday 6, and 0…23, UTC.
        public var weekday: Int
        public var hour: Int
        public var uplift: Double?
    }

    public var platform: Platform
    public var format: ContentFormat
    /// What the post is about: the brief, or the cohort's top trending topic.
    public var topic: String
    /// About how many characters the post should take.
    public var targetLength: Int
    /// The hashtags to use, without `#`, within the platform's limit.
    public var hashtags: [String]
    /// The next occurrence of the chosen slot.
    public var plannedAt: Date
    public var slot: Slot?
    /// The creator's time zone, when the request gave it.
    public var timeZone: String?
    /// What performs with this audience (the cohort's strategy model), when measured.
    public var hints: [String]
    /// One angle per variant.
    public var angles: [Angle]

    /// A line for the trace.
    var summary: String {
        "\(format.rawValue), ~\(targetLength) characters, \(hashtags.map { "#" + $0 }.joined(separator: " ")), "
            + "angles \(angles.map(\.name).joined(separator: ", ")), planned \(ISO8601DateFormatter().string(from: plannedAt))"
    }
}

/// The strategy step: from the context, the format, the length, the hashtags, the planned time and the angles.
struct StrategyStep: Sendable {
    static let name = "strategy"

    func run(_ request: GenerationRequest, research: Research, now: Date) throws(GenerationError) -> ContentPlan {
        let context = research.context
        guard let topic = request.brief ?? context.brief?.text ?? context.trendingTopics.first?.topic else {
            throw GenerationError(
                .invalidInput, "nothing to write about: give a brief (creator \(request.userID)'s cohort has no trending topic)", step: Self.name)
        }
        let format = Self.format(for: request.platform, style: context.style)
        let (slot, plannedAt) = Self.plannedTime(slots: context.postingTimes, timeZone: request.timeZone, now: now)
        return ContentPlan(
            platform: request.platform, format: format, topic: topic,
            targetLength: Self.targetLength(for: format, style: context.style), hashtags: Self.hashtags(for: request.platform, context: context),
            plannedAt: plannedAt, slot: slot, timeZone: request.timeZone, hints: context.strategy.whatPerforms.prefix(3).map(\.hint),
            angles: Self.angles(request.variants, whatPerforms: context.strategy.whatPerforms))
    }

    /// X: a thread for a creator who often writes them, else one post; Instagram: a carousel's
    /// caption; TikTok: one caption; YouTube: a title and a description.
    static func format(for platform: Platform, style: PersonalizationContext.StyleHints) -> ContentFormat {
        switch platform {
        case .x: style.threadShare >= 0.3 ? .thread : .singlePost
        case .instagram: .carouselCaption
        case .tiktok: .singlePost
        case .youtube: .videoTitleAndDescription
        }
    }

    /// The creator's usual length, within what the format holds.
    static func targetLength(for format: ContentFormat, style: PersonalizationContext.StyleHints) -> Int {
        let usual = style.posts > 0 ? style.medianLength : 0
        switch format {
        case .singlePost: return usual == 0 ? 220 : min(max(usual, 80), 270)
        case .thread: return min(max(usual * 3, 600), 1_400)
        case .carouselCaption: return usual == 0 ? 600 : min(max(usual, 300), 1_500)
        case .videoTitleAndDescription: return min(max(usual * 2, 400), 2_000)
        }
    }

    /// The platform's hashtag budget: the creator's own, then the trending topics', then the exemplars'.
    static func hashtags(for platform: Platform, context: PersonalizationContext) -> [String] {
        let limit =
            switch platform {
            case .x: 2
            case .instagram: 5
            case .tiktok: 4
            case .youtube: 3
            }
        let candidates =
            context.style.topHashtags + context.trendingTopics.map { $0.topic.replacingOccurrences(of: " ", with: "") }
            + context.exemplars.flatMap(\.hashtags)
        var chosen: [String] = []
        for tag in candidates where !tag.isEmpty && !chosen.contains(where: { $0.caseInsensitiveCompare(tag) == .orderedSame }) {
            chosen.append(tag)
            if chosen.count == limit { break }
        }
        return chosen
    }

    /// The angles, those whose post feature performs (uplift above 1) first, each with why.
    static func angles(_ count: Int, whatPerforms: [CohortStrategy.Uplift]) -> [Angle] {
        let ranked = Angle.catalog.enumerated().map { index, entry -> (angle: Angle, uplift: Double, index: Int) in
            var angle = entry.angle
            let uplift = entry.feature.flatMap { feature in whatPerforms.first { $0.factor == feature && $0.topic == nil } }
            if let uplift, uplift.uplift > 1 { angle.reason = uplift.hint }
            return (angle, uplift.map { max($0.uplift, 1) } ?? 1, index)
        }.sorted { ($0.uplift, -$0.index) > ($1.uplift, -$1.index) }
        return ranked.prefix(count).map(\.angle)
    }

    /// The next occurrence, at least 10 minutes from now, of the cohort's best posting slot; with
    /// the creator's time zone, the best slot that does not fall in their night (midnight to 7:00)
    /// when its uplift is within 10 % of the best one's. Without measured slots: the next full hour.
    static func plannedTime(slots: [CohortTraits.PostingSlot], timeZone: String?, now: Date) -> (ContentPlan.Slot?, Date) {
        let earliest = now.addingTimeInterval(600)
        guard let best = slots.first else {
            let hour = (earliest.timeIntervalSince1970 / 3_600).rounded(.up) * 3_600
            return (nil, Date(timeIntervalSince1970: hour))
        }
        var chosen = best
        if let zone = timeZone.flatMap(TimeZone.init(identifier:)) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            func atNight(_ slot: CohortTraits.PostingSlot) -> Bool {
                calendar.component(.hour, from: next(weekday: slot.weekday, hour: slot.hour, after: earliest)) < 7
            }
            if atNight(best), let awake = slots.prefix(5).first(where: { !atNight($0) && ($0.uplift ?? 1) >= 0.9 * (best.uplift ?? 1) }) {
                chosen = awake
            }
        }
        return (
            ContentPlan.Slot(weekday: chosen.weekday, hour: chosen.hour, uplift: chosen.uplift),
            next(weekday: chosen.weekday, hour: chosen.hour, after: earliest)
        )
    }

    /// The first time at `weekday` (Monday 0 …) and `hour` (UTC) at or after `date`.
    static func next(weekday: Int, hour: Int, after date: Date) -> Date {
        let week = 7 * 86_400.0
        // 1970-01-01 was a Thursday: Monday 00:00 UTC of that week is 3 days earlier.
        let mondayEpoch = -3 * 86_400.0
        let intoWeek = Double(weekday * 86_400 + hour * 3_600)
        let weeks = ((date.timeIntervalSince1970 - mondayEpoch - intoWeek) / week).rounded(.up)
        return Date(timeIntervalSince1970: mondayEpoch + weeks * week + intoWeek)
    }
}

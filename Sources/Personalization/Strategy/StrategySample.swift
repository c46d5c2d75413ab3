public import Foundation
public import ProfileStore

/// The posts a strategy model is fitted on, compactly: for each post its author, UTC hour
/// of the week, platform, form (``PostFeatures``), first topic and log engagement rate.
///
/// Filled one post at a time; samples filled from disjoint posts merge into one.
public struct StrategySample: Sendable {
    /// One post.
    struct Observation: Sendable {
        var userID: Int64
        /// log of the engagement rate, floored at half an engagement (0.5 / views).
        var logRate: Float
        /// UTC hour of the week, Monday 0:00 UTC being 0.
        var slot: UInt8
        /// Index into ``platforms``.
        var platform: UInt8
        var features: PostFeatures
        /// Published in the recent (trend) window.
        var recent: Bool
        /// Index into ``topics`` of its first topic, or ``noTopic``.
        var topic: UInt16
    }

    static let noTopic = UInt16.max
    /// Posts with fewer views carry more rounding than signal and are left out.
    public static let minimumViews: Int64 = 100

    private(set) var observations: [Observation] = []
    private(set) var platforms: [String] = []
    private(set) var topics: [String] = []
    private var platformIndex: [String: UInt8] = [:]
    private var topicIndex: [String: UInt16] = [:]

    /// An empty sample.
    public init() {}

    /// Posts in the sample.
    public var count: Int { observations.count }

    /// Adds `post` when it has at least ``minimumViews`` views; `recent` marks the trend window.
    public mutating func add(_ post: PostRecord, recent: Bool) {
        guard post.views >= Self.minimumViews else { return }
        let rate = max(post.engagementRate, 0.5 / Double(post.views))
        guard rate.isFinite, rate > 0 else { return }
        observations.append(
            Observation(
                userID: post.userID, logRate: Float(log(rate)), slot: UInt8(Self.slot(of: post.publishedAt)),
                platform: platform(post.platform), features: PostFeatures(text: post.text, hashtags: post.hashtags),
                recent: recent, topic: post.topics.first.map { topic($0.lowercased()) } ?? Self.noTopic))
    }

    /// Adds every post of `other`.
    public mutating func merge(_ other: StrategySample) {
        let platformMap = other.platforms.map { platform($0) }
        let topicMap = other.topics.map { topic($0) }
        observations.reserveCapacity(observations.count + other.observations.count)
        for var observation in other.observations {
            observation.platform = platformMap[Int(observation.platform)]
            if observation.topic != Self.noTopic { observation.topic = topicMap[Int(observation.topic)] }
            observations.append(observation)
        }
    }

    /// UTC hour of the week of `date`, Monday 0:00 UTC being 0.
    public static func slot(of date: Date) -> Int {
        let hours = Int((date.timeIntervalSince1970 / 3_600).rounded(.down))
        // 1970-01-01 00:00 UTC was a Thursday: 3 days after a Monday.
        return ((hours + 3 * 24) % 168 + 168) % 168
    }

    private mutating func platform(_ name: String) -> UInt8 {
        if let index = platformIndex[name] { return index }
        // Past 255 platforms the rest share the last index: no real store comes near.
        guard platforms.count < 255 else { return 254 }
        platforms.append(name)
        platformIndex[name] = UInt8(platforms.count - 1)
        return UInt8(platforms.count - 1)
    }

    private mutating func topic(_ name: String) -> UInt16 {
        if let index = topicIndex[name] { return index }
        guard topics.count < Int(Self.noTopic) - 1 else { return Self.noTopic }
        topics.append(name)
        topicIndex[name] = UInt16(topics.count - 1)
        return UInt16(topics.count - 1)
    }
}

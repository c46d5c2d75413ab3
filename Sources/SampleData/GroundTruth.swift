public import Foundation

/// The planted effects of one generated data set, as `onering data generate --truth` writes them.
///
/// Multipliers, not logs: `uplift` 1.3 is 30 % more engagement. Slots are UTC hours of the week
/// (Monday 0:00 UTC is 0).
public struct GroundTruth: Codable, Sendable {
    /// One niche's audience and trend.
    public struct NicheTruth: Codable, Sendable {
        public var niche: String
        public var utcOffset: Int
        /// Local peak hours, strongest first.
        public var peakHours: [Double]
        /// Local weekday, Monday 0.
        public var bestWeekday: Int
        public var trendingTopic: String
        /// exp(curve) by UTC hour of the week: engagement against an average hour.
        public var hourUplift: [Double]
        /// The five best UTC hours of the week, best first.
        public var topSlots: [Int]
    }

    public var seed: UInt64
    public var creators: Int
    /// The model, in words.
    public var model: String
    public var creatorLevelSD: Double
    public var noiseSD: Double
    public var trendingUplift: Double
    /// Feature → platform → uplift.
    public var formatUplift: [String: [String: Double]]
    public var niches: [NicheTruth]

    /// The truth of what `generator` makes.
    public init(generator: CreatorGenerator) {
        seed = generator.configuration.seed
        creators = generator.configuration.creators
        model =
            "engagement rate = exp(-3.5 + creator level + audience(hour of week) + format(features, platform) + trend + noise), capped at 0.5; "
            + "the hour effect follows the creator's main niche"
        creatorLevelSD = PlantedEffects.creatorLevelSD
        noiseSD = PlantedEffects.noiseSD
        trendingUplift = exp(PlantedEffects.trendingEffect)
        formatUplift = PlantedEffects.formats.mapValues { $0.mapValues(exp) }
        niches = Niche.all.map { niche in
            let audience = AudienceActivity.of(niche)
            return NicheTruth(
                niche: niche.id, utcOffset: audience.utcOffset, peakHours: audience.peaks.map(\.hour), bestWeekday: audience.bestWeekday,
                trendingTopic: generator.trendingTopic(of: niche), hourUplift: audience.curve.map(exp), topSlots: audience.topSlots(5))
        }
    }

    /// The truth as pretty JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

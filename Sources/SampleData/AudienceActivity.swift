internal import Foundation

/// When a niche's audience is online: a smooth weekly curve in the niche's time zone,
/// planted in the sample data's engagement (the truth `onering data generate --truth` writes).
///
/// The curve is a sum of daily bumps (von Mises shaped, around local peak hours, one
/// stronger than the other) plus a weekly wave that is highest on the niche's best day.
/// Its values are log-multipliers of the engagement rate by UTC hour of the week (Monday
/// 0:00 UTC is slot 0), with mean 0 over the week: exp(curve[slot]) is a post's engagement
/// at that hour against an average hour of the week.
public struct AudienceActivity: Sendable {
    /// The audience's time zone, in hours from UTC.
    public let utcOffset: Int
    /// Local hours the audience is most online, the strongest first, with their weights.
    public let peaks: [(hour: Double, weight: Double)]
    /// The local weekday (Monday 0 … Sunday 6) the audience is most active.
    public let bestWeekday: Int
    /// Log-multipliers by UTC hour of the week, mean 0.
    public let curve: [Double]

    /// Height of the daily bumps (log scale).
    static let dailyAmplitude = 0.5
    /// Their concentration: larger is narrower.
    static let concentration = 2.5
    /// Height of the weekly wave (log scale).
    static let weeklyAmplitude = 0.12

    init(utcOffset: Int, peaks: [(hour: Double, weight: Double)], bestWeekday: Int) {
        self.utcOffset = utcOffset
        self.peaks = peaks
        self.bestWeekday = bestWeekday
        var curve = (0..<168).map { slot -> Double in
            let local = (slot + utcOffset + 168) % 168
            let hour = Double(local % 24)
            let weekday = Double(local / 24)
            let daily = peaks.reduce(0.0) { sum, peak in
                sum + peak.weight * exp(Self.concentration * (cos(2 * .pi * (hour - peak.hour) / 24) - 1))
            }
            return Self.dailyAmplitude * daily + Self.weeklyAmplitude * cos(2 * .pi * (weekday - Double(bestWeekday)) / 7)
        }
        let mean = curve.reduce(0, +) / 168
        for slot in curve.indices { curve[slot] -= mean }
        self.curve = curve
    }

    /// The UTC hours of the week with the highest planted engagement, best first.
    public func topSlots(_ count: Int) -> [Int] {
        Array(curve.indices.sorted { (curve[$0], $1) > (curve[$1], $0) }.prefix(count))
    }

    /// The audience of `niche`.
    public static func of(_ niche: Niche) -> AudienceActivity { byNiche[niche.id]! }

    private static let byNiche: [String: AudienceActivity] = [
        "ai": .init(utcOffset: -5, peaks: [(12, 1), (20, 0.6)], bestWeekday: 1),
        "crypto": .init(utcOffset: 0, peaks: [(22, 1), (9, 0.5)], bestWeekday: 6),
        "fitness": .init(utcOffset: -5, peaks: [(6, 1), (18, 0.8)], bestWeekday: 0),
        "cooking": .init(utcOffset: -5, peaks: [(17, 1), (11, 0.4)], bestWeekday: 6),
        "travel": .init(utcOffset: 1, peaks: [(20, 1), (8, 0.5)], bestWeekday: 5),
        "personal_finance": .init(utcOffset: -5, peaks: [(12, 1), (21, 0.7)], bestWeekday: 0),
        "gaming": .init(utcOffset: -8, peaks: [(21, 1), (15, 0.5)], bestWeekday: 5),
        "parenting": .init(utcOffset: -5, peaks: [(21, 1), (13, 0.6)], bestWeekday: 2),
        "fashion": .init(utcOffset: 1, peaks: [(19, 1), (12, 0.5)], bestWeekday: 3),
        "photography": .init(utcOffset: 0, peaks: [(19, 1), (8, 0.6)], bestWeekday: 6),
        "startups": .init(utcOffset: -8, peaks: [(9, 1), (16, 0.6)], bestWeekday: 1),
        "climate": .init(utcOffset: 1, peaks: [(10, 1), (17, 0.5)], bestWeekday: 2),
        "music": .init(utcOffset: -5, peaks: [(22, 1), (17, 0.5)], bestWeekday: 4),
        "books": .init(utcOffset: 0, peaks: [(21, 1), (7, 0.5)], bestWeekday: 6),
        "gardening": .init(utcOffset: 0, peaks: [(8, 1), (18, 0.6)], bestWeekday: 5),
        "pets": .init(utcOffset: -5, peaks: [(19, 1), (7, 0.6)], bestWeekday: 6),
        "productivity": .init(utcOffset: -5, peaks: [(7, 1), (13, 0.5)], bestWeekday: 0),
        "skincare": .init(utcOffset: 1, peaks: [(21, 1), (8, 0.6)], bestWeekday: 3),
        "soccer": .init(utcOffset: 0, peaks: [(17, 1), (21, 0.8)], bestWeekday: 5),
        "real_estate": .init(utcOffset: -5, peaks: [(10, 1), (19, 0.6)], bestWeekday: 1),
    ]
}

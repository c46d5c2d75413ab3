public import Foundation
internal import Personalization

/// When to publish, and why.
public struct Schedule: Codable, Sendable, Equatable {
    public var publishAt: Date
    /// The time in the creator's time zone (`Tuesday 19:00 Europe/Berlin`), when it is known.
    public var localTime: String?
    public var why: String

    var summary: String { "\(ISO8601DateFormatter().string(from: publishAt)): \(why)" }
}

/// The schedule step: the plan's time (the next occurrence of its slot when a resumed job
/// comes back after it passed) and the reasons for it.
struct ScheduleStep: Sendable {
    static let name = "schedule"
    static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    func run(plan: ContentPlan, now: Date) -> Schedule {
        var publishAt = plan.plannedAt
        let earliest = now.addingTimeInterval(600)
        if let slot = plan.slot, publishAt < earliest {
            publishAt = StrategyStep.next(weekday: slot.weekday, hour: slot.hour, after: earliest)
        } else if publishAt < earliest {
            publishAt = Date(timeIntervalSince1970: (earliest.timeIntervalSince1970 / 3_600).rounded(.up) * 3_600)
        }
        var localTime: String?
        if let identifier = plan.timeZone, let zone = TimeZone(identifier: identifier) {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = "EEEE HH:mm"
            localTime = "\(formatter.string(from: publishAt)) \(identifier)"
        }
        let why: String
        if let slot = plan.slot {
            let uplift = slot.uplift.map { String(format: ", %.2f× the engagement of an average hour", $0) } ?? ""
            why =
                "the cohort's best posting hour from now: \(Self.weekdays[slot.weekday % 7]) \(slot.hour):00 UTC\(uplift)"
                + (localTime.map { " (\($0) for the creator)" } ?? "")
        } else {
            why = "the cohort has no measured posting hours yet: the next full hour"
        }
        return Schedule(publishAt: publishAt, localTime: localTime, why: why)
    }
}

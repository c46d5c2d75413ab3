internal import Foundation
internal import Personalization
internal import ProfileStore

/// The dashboard's HTML, rendered on the server from what the engine, the store and the
/// metrics hold: no front-end build, no script, a refresh every 10 s.
struct DashboardPage {
    struct Figures {
        var creators: Int
        var runID: Int64?
        var lagSeconds: Double?
        var uptimeSeconds: Double
        var coalesced: (searches: Int, batches: Int)
    }

    var figures: Figures
    var cohorts: [Cohort]
    var mapSVG: String?
    var jobs: [JobRecord]
    var traces: [GenerationTrace]
    var rates: [(route: String, perSecond: Double)]

    func html() -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
        <title>OneRing engine</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7fb; }
        h1 { font-size: 22px; margin: 0 0 16px; } h2 { font-size: 16px; margin: 28px 0 8px; }
        .figures { display: flex; gap: 12px; flex-wrap: wrap; }
        .figure { background: #fff; border: 1px solid #dde1ea; border-radius: 8px; padding: 10px 16px; min-width: 150px; }
        .figure b { display: block; font-size: 22px; }
        table { border-collapse: collapse; background: #fff; border: 1px solid #dde1ea; width: 100%; }
        th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #eef0f5; vertical-align: top; }
        th { background: #eef0f5; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
        .map svg { width: 100%; max-width: 1500px; height: auto; background: #fff; border: 1px solid #dde1ea; border-radius: 8px; }
        .succeeded { color: #137333; } .failed { color: #b3261e; } .cancelled, .queued, .running { color: #8a5a00; }
        .muted { color: #6b7280; }
        </style></head><body>
        <h1>OneRing personalization engine</h1>
        <div class="figures">
        \(figure("creators in the index", figures.creators.formatted()))
        \(figure("cohort run", figures.runID.map { "#\($0)" } ?? "none"))
        \(figure("cohorts", String(cohorts.count)))
        \(figure("change-feed lag", figures.lagSeconds.map { String(format: "%.2f s", $0) } ?? "–"))
        \(figure("coalesced searches", "\(figures.coalesced.searches) in \(figures.coalesced.batches) batches"))
        \(figure("uptime", String(format: "%.0f s", figures.uptimeSeconds)))
        </div>
        <h2>Cohorts</h2>\(cohortTable())
        <div class="map"><h2>Cohort map</h2>\(mapSVG ?? "<p class=\"muted\">No cohort run yet.</p>")</div>
        <h2>Requests per second (last minute)</h2>\(rateTable())
        <h2>Recent generations</h2>\(traceTable())
        <h2>Jobs</h2>\(jobTable())
        <form method="post" action="/dashboard/signout"><button type="submit">Sign out</button></form>
        </body></html>
        """
    }

    private func figure(_ name: String, _ value: String) -> String {
        "<div class=\"figure\"><b>\(Self.escape(value))</b>\(Self.escape(name))</div>"
    }

    private func cohortTable() -> String {
        guard !cohorts.isEmpty else { return "<p class=\"muted\">No cohort run yet: POST /v1/cohorts/rebuild.</p>" }
        let rows = cohorts.map { cohort in
            let trend = cohort.traits.trendingTopics.first.map { "\($0.topic) ×\(String(format: "%.1f", $0.lift))" } ?? "–"
            let best =
                cohort.traits.bestPostingTimes.first.map { slot in
                    "\(Self.weekdays[slot.weekday % 7]) \(slot.hour):00 UTC" + (slot.uplift.map { String(format: " (%.2f×)", $0) } ?? "")
                } ?? "–"
            let performs =
                cohort.traits.whatPerforms?.map { uplift in
                    uplift.name + String(format: " %.2f×", uplift.uplift)
                }.joined(separator: ", ") ?? "–"
            return
                "<tr><td class=\"n\">\(cohort.id)</td><td>\(Self.escape(cohort.label))</td><td class=\"n\">\(cohort.size.formatted())</td><td>\(Self.escape(trend))</td><td>\(Self.escape(best))</td><td>\(Self.escape(performs.isEmpty ? "–" : performs))</td></tr>"
        }
        return
            "<table><tr><th>#</th><th>label</th><th>creators</th><th>trending</th><th>best time (vs an average hour)</th><th>what performs</th></tr>\(rows.joined())</table>"
    }

    private func rateTable() -> String {
        guard !rates.isEmpty else { return "<p class=\"muted\">No requests in the last minute.</p>" }
        let rows = rates.map { "<tr><td>\(Self.escape($0.route))</td><td class=\"n\">\(String(format: "%.2f", $0.perSecond))</td></tr>" }
        return "<table><tr><th>route</th><th>requests/s</th></tr>\(rows.joined())</table>"
    }

    private func traceTable() -> String {
        guard !traces.isEmpty else { return "<p class=\"muted\">No generation yet.</p>" }
        let rows = traces.map { trace in
            "<tr><td>\(Self.time(trace.startedAt))</td><td class=\"n\">\(trace.userID)</td><td>\(Self.escape(trace.platform))</td>"
                + "<td class=\"\(trace.status.rawValue)\">\(trace.status.rawValue)</td>"
                + "<td class=\"n\">\(String(format: "%.0f ms", trace.durationMilliseconds))</td>"
                + "<td class=\"n\">\(trace.firstTokenMilliseconds.map { String(format: "%.0f ms", $0) } ?? "–")</td>"
                + "<td>\(Self.escape(trace.provider)) · \(Self.escape(trace.model))</td><td>\(Self.escape(trace.error ?? ""))</td></tr>"
        }
        return
            "<table><tr><th>started</th><th>creator</th><th>platform</th><th>status</th><th>duration</th><th>first token</th><th>provider</th><th>error</th></tr>\(rows.joined())</table>"
    }

    private func jobTable() -> String {
        guard !jobs.isEmpty else { return "<p class=\"muted\">No job yet.</p>" }
        let rows = jobs.map { job in
            "<tr><td class=\"n\">\(job.id)</td><td>\(Self.escape(job.kind))</td><td class=\"\(job.status.rawValue)\">\(job.status.rawValue)</td>"
                + "<td>\(Self.time(job.createdAt))</td><td>\(job.finishedAt.map(Self.time) ?? "–")</td><td>\(Self.escape(job.error ?? (job.status == .running ? job.progressJSON : "–")))</td></tr>"
        }
        return "<table><tr><th>#</th><th>kind</th><th>status</th><th>queued</th><th>finished</th><th>progress or error</th></tr>\(rows.joined())</table>"
    }

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    private static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date)
    }

    /// `text` safe inside HTML text and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

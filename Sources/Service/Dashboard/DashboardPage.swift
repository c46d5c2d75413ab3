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
    var stats: ProfileStore.GenerationStats?
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
        .map { overflow-x: auto; }
        .map svg { width: 100%; min-width: 1300px; max-width: 1800px; height: auto; background: #fff; border: 1px solid #dde1ea; border-radius: 8px; }
        .succeeded { color: #137333; } .failed { color: #b3261e; } .cancelled, .queued, .running { color: #8a5a00; }
        .muted { color: #6b7280; }
        .waterfall { position: relative; height: 16px; min-width: 260px; background: #eef0f5; border-radius: 3px; }
        .waterfall span { position: absolute; top: 2px; height: 12px; border-radius: 2px; min-width: 2px; }
        .waterfall span.error { outline: 2px solid #b3261e; }
        .waterfall i { position: absolute; top: 0; height: 16px; width: 2px; background: #1d2330; }
        .legend span { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 12px; }
        .research { background: #4363d8; } .strategy { background: #911eb4; } .write { background: #f58231; }
        .review { background: #3cb44b; } .schedule { background: #42d4f4; }
        </style></head><body>
        <h1>OneRing personalization engine</h1>
        <div class="figures">
        \(figure("creators in the index", figures.creators.formatted()))
        \(figure("cohort run", figures.runID.map { "#\($0)" } ?? "none"))
        \(figure("cohorts", String(cohorts.count)))
        \(figure("change-feed lag", figures.lagSeconds.map { String(format: "%.2f s", $0) } ?? "–"))
        \(figure("coalesced searches", "\(figures.coalesced.searches) in \(figures.coalesced.batches) batches"))
        \(figure("uptime", String(format: "%.0f s", figures.uptimeSeconds)))
        \(figure("generations, last hour", rate(stats?.lastHour)))
        \(figure("generations, last day", rate(stats?.lastDay)))
        </div>
        <h2>Cohorts</h2>\(cohortTable())
        <div class="map"><h2>Cohort map</h2>\(mapSVG ?? "<p class=\"muted\">No cohort run yet.</p>")</div>
        <h2>Requests per second (last minute)</h2>\(rateTable())
        <h2 id="generations">Recent generations</h2>
        <p class="legend muted">A bar per step, on the generation's own time line:\(Self.stepNames.map { "<span class=\"\($0)\"></span>\($0)" }.joined())</p>
        \(traceTable())
        <h2>Step durations (last day)</h2>\(stepTable())
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

    private func rate(_ counts: (ended: Int, succeeded: Int)?) -> String {
        guard let counts, counts.ended > 0 else { return "none" }
        return "\(counts.succeeded)/\(counts.ended) succeeded (\(Int((100 * Double(counts.succeeded) / Double(counts.ended)).rounded())) %)"
    }

    static let stepNames = ["research", "strategy", "write", "review", "schedule"]

    private func traceTable() -> String {
        guard !traces.isEmpty else { return "<p class=\"muted\">No generation yet.</p>" }
        let rows = traces.map { trace in
            "<tr><td>\(Self.time(trace.startedAt))</td><td class=\"n\">\(trace.id)</td><td class=\"n\">\(trace.userID)</td><td>\(Self.escape(trace.platform))</td>"
                + "<td class=\"\(trace.status.rawValue)\">\(trace.status.rawValue)</td><td class=\"n\">\(trace.variants)</td>"
                + "<td class=\"n\">\(String(format: "%.0f ms", trace.durationMilliseconds))</td>"
                + "<td class=\"n\">\(trace.firstTokenMilliseconds.map { String(format: "%.0f ms", $0) } ?? "–")</td>"
                + "<td>\(waterfall(trace))</td>"
                + "<td>\(Self.escape(trace.provider)) · \(Self.escape(trace.model))</td><td>\(Self.escape(trace.error ?? ""))</td></tr>"
        }
        return
            "<table><tr><th>started</th><th>trace</th><th>creator</th><th>platform</th><th>status</th><th>variants</th><th>duration</th><th>first token</th><th>steps</th><th>provider</th><th>error</th></tr>\(rows.joined())</table>"
    }

    /// The trace's spans as bars on its time line (from its first start to its last end), each
    /// titled with the step, its duration and its output or error. A resumed job's attempts are
    /// drawn one after the other, the pause between them cut to a thin mark, so the steps stay
    /// readable whether the job resumed a second or an hour later.
    private func waterfall(_ trace: GenerationTrace) -> String {
        guard !trace.spans.isEmpty else { return "<span class=\"muted\">–</span>" }
        func end(_ span: GenerationSpan) -> Date { span.startedAt.addingTimeInterval(span.durationMilliseconds / 1_000) }
        var segments = Dictionary(grouping: trace.spans, by: \.attempt).sorted { $0.key < $1.key }.map { attempt in
            (start: attempt.value.map(\.startedAt).min()!, end: attempt.value.map(end).max()!, spans: attempt.value)
        }
        if segments.count == 1 {
            // One attempt: its time line is the whole generation's, from the request to the end.
            segments[0].start = min(segments[0].start, trace.startedAt)
            segments[0].end = max(segments[0].end, trace.startedAt.addingTimeInterval(trace.durationMilliseconds / 1_000))
        }
        let gap = 2.0  // percent of the bar between two attempts
        let busy = max(segments.reduce(0) { $0 + $1.end.timeIntervalSince($1.start) }, 1e-6)
        let scale = (100 - gap * Double(segments.count - 1)) / busy
        var offset = 0.0
        var marks: [String] = []
        for (index, segment) in segments.enumerated() {
            if index > 0 {
                let pause = segment.start.timeIntervalSince(segments[index - 1].end)
                marks.append(
                    "<i style=\"left: \(String(format: "%.2f", offset - gap / 2))%\" title=\"attempt \(index + 1) began \(String(format: "%.1f", pause)) s later\"></i>"
                )
            }
            for span in segment.spans {
                let left = offset + span.startedAt.timeIntervalSince(segment.start) * scale
                let width = span.durationMilliseconds / 1_000 * scale
                let name = span.name + (span.variant.map { " \($0)" } ?? "") + (span.attempt > 1 ? ", attempt \(span.attempt)" : "")
                let title = "\(name): \(String(format: "%.1f ms", span.durationMilliseconds)) · \(span.error ?? span.output)"
                marks.append(
                    "<span class=\"\(Self.escape(span.name))\(span.status == .error ? " error" : "")\" style=\"left: \(String(format: "%.2f", left))%; width: \(String(format: "%.2f", width))%\" title=\"\(Self.escape(title))\"></span>"
                )
            }
            offset += segment.end.timeIntervalSince(segment.start) * scale + gap
        }
        return "<div class=\"waterfall\">\(marks.joined())</div>"
    }

    private func stepTable() -> String {
        guard let steps = stats?.steps, !steps.isEmpty else { return "<p class=\"muted\">No step in the last day.</p>" }
        let rows = steps.map { step in
            "<tr><td><span class=\"legend\"><span class=\"\(Self.escape(step.name))\"></span></span>\(Self.escape(step.name))</td><td class=\"n\">\(step.spans)</td>"
                + "<td class=\"n\">\(String(format: "%.1f ms", step.p50))</td><td class=\"n\">\(String(format: "%.1f ms", step.p95))</td></tr>"
        }
        return "<table><tr><th>step</th><th>spans</th><th>p50</th><th>p95</th></tr>\(rows.joined())</table>"
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

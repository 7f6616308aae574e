import Foundation

/// Draws a ``RolloutReport`` as one self-contained HTML page, to open, print or attach to a
/// ticket: no script, no font or image from anywhere, the timelines as inline SVG.
public enum ReportPage {
    /// The page.
    public static func html(_ report: RolloutReport) -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>maintctl report: \(escape(report.playbook)) (\(escape(report.status)))</title>
            <style>\(style)</style></head><body>
            <h1>\(escape(report.kind == "rollback" ? "Rollback" : "Rollout")) of <code>\(escape(report.playbook))</code>: \
            <span class="status \(escape(report.status))">\(escape(report.status.replacingOccurrences(of: "_", with: " ")))</span></h1>

            """
        page += summary(report)
        for cache in report.caches { page += timeline(cache) }
        page += durations(report)
        page += clientImpact(report)
        page += invariants(report)
        page += failovers(report)
        page += locations(report)
        page += "<footer>run \(escape(report.runID)) · created \(escape(report.created)) · last written \(escape(report.updated))</footer>\n"
        return page + "</body></html>\n"
    }

    private static func summary(_ report: RolloutReport) -> String {
        let planned = report.failovers.filter { $0.kind == .planned }.map(\.unavailableMS).sorted()
        let unplanned = report.failovers.filter { $0.kind == .unplanned }
        let patched = report.caches.filter { $0.status == "succeeded" }.count
        var rows: [(String, String)] = [
            ("Backend", report.backend),
            ("Duration", report.durationMS.map { "\(milliseconds($0)) (predicted \(milliseconds(report.predictedDurationMS)))" }
                ?? "not finished (predicted \(milliseconds(report.predictedDurationMS)))"),
            ("Caches", "\(patched) of \(report.caches.count) patched; \(report.nodesReplaced) nodes replaced"),
            ("Failovers", "\(planned.count) planned of \(report.expectedFailovers) expected"
                + (planned.isEmpty ? "" : "; write gap p50 \(planned[planned.count / 2]) ms, max \(planned.last ?? 0) ms")
                + (unplanned.isEmpty ? "" : "; \(unplanned.count) unplanned")),
            ("Writes lost", report.acknowledgedWritesLost.map { "\($0) acknowledged writes lost (client probe)" } ?? "no client probe ran"),
            ("Invariants", report.invariants.allSatisfy(\.violations.isEmpty) ? "all held"
                : "\(report.invariants.flatMap(\.violations).count) violated"),
            ("Sessions", report.sessions.map { "\($0.kind) \($0.started)–\($0.ended ?? "…") \($0.status ?? "")" }.joined(separator: "; ")),
        ]
        if report.acknowledgedWritesLost.map({ $0 > 0 }) == true { rows[4].1 = "⚠ " + rows[4].1 }
        return "<h2>Summary</h2>\n<table class=\"summary\">\n"
            + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>\n" }.joined() + "</table>\n"
    }

    // MARK: Timeline

    private static let laneHeight = 26.0, labelWidth = 190.0, plotWidth = 860.0, axisHeight = 24.0

    /// A lane per node (and one for steps on the whole cache): actions as bars, syncs inside
    /// them, planned failovers as marks with their write gap, faults and node failures in the
    /// warning colour, waits for a maintenance window shaded.
    private static func timeline(_ cache: RolloutReport.Cache) -> String {
        let timed = cache.actions.filter { $0.startMS != nil }
        let start = cache.startedMS ?? timed.compactMap(\.startMS).min() ?? 0
        let end = max(cache.finishedMS ?? 0, timed.map { ($0.startMS ?? 0) + ($0.durationMS ?? 0) }.max() ?? 0,
                      cache.marks.map(\.atMS).max() ?? 0, start + 1)
        let span = Double(end - start)
        func x(_ ms: Int64) -> Double { labelWidth + Double(ms - start) / span * plotWidth }
        func y(_ lane: String) -> Double { axisHeight + Double(cache.lanes.firstIndex(of: lane) ?? 0) * laneHeight }
        let height = axisHeight + Double(cache.lanes.count) * laneHeight + 8
        var svg = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + plotWidth + 20))\" "
            + "height=\"\(Int(height))\" role=\"img\" aria-label=\"timeline of \(escape(cache.id))\">\n"
        // Waits for a maintenance window, shaded across every lane.
        var waitStart: Int64?
        for mark in cache.marks {
            if mark.kind == .paused { waitStart = mark.atMS }
            if mark.kind == .resumed, let from = waitStart {
                svg += "<rect class=\"wait\" x=\"\(f(x(from)))\" y=\"\(f(axisHeight))\" width=\"\(f(max(1, x(mark.atMS) - x(from))))\" "
                    + "height=\"\(f(height - axisHeight - 8))\"><title>\(escape(mark.detail)): waited \(milliseconds(mark.atMS - from))</title></rect>\n"
                waitStart = nil
            }
        }
        for (index, lane) in cache.lanes.enumerated() {
            let top = axisHeight + Double(index) * laneHeight
            svg += "<rect class=\"lane\(index % 2 == 0 ? " even" : "")\" x=\"0\" y=\"\(f(top))\" width=\"\(f(labelWidth + plotWidth))\" height=\"\(f(laneHeight))\"/>\n"
            svg += "<text class=\"lane-label\" x=\"6\" y=\"\(f(top + 17))\">\(escape(lane))</text>\n"
        }
        for tick in 0...4 {
            let ms = start + Int64(Double(tick) / 4 * span)
            svg += "<text class=\"tick\" x=\"\(f(x(ms)))\" y=\"14\" text-anchor=\"middle\">\(escape(milliseconds(ms - start)))</text>\n"
        }
        for action in cache.actions {
            guard let from = action.startMS else { continue }
            let top = y(action.lane) + 4
            let width = max(2, x(from + (action.durationMS ?? 0)) - x(from))
            let tip = "\(action.summary) — \(action.state), \(milliseconds(action.durationMS ?? 0)) (predicted \(milliseconds(action.predictedMS)))"
                + (action.attempts > 1 ? ", attempt \(action.attempts)" : "") + (action.error.map { ": \($0)" } ?? "")
            svg += "<rect class=\"action \(escape(action.step)) \(escape(action.state))\" data-action=\"\(action.index)\" x=\"\(f(x(from)))\" "
                + "y=\"\(f(top))\" width=\"\(f(width))\" height=\"\(f(laneHeight - 8))\" rx=\"2\"><title>\(escape(tip))</title></rect>\n"
            // A full sync ends where the action's failover (or the action) ends.
            var syncEnd = from + (action.durationMS ?? 0)
            for sync in action.syncs {
                let syncStart = max(from, syncEnd - sync.durationMS)
                svg += "<rect class=\"sync\" x=\"\(f(x(syncStart)))\" y=\"\(f(top + laneHeight - 13))\" width=\"\(f(max(1, x(syncEnd) - x(syncStart))))\" "
                    + "height=\"3\"><title>full sync of \(escape(sync.shard)) to \(escape(sync.node)): \(String(format: "%.1f", sync.megabytes)) MB in \(milliseconds(sync.durationMS))</title></rect>\n"
                syncEnd = syncStart
            }
            // Unplanned failovers show as the node's failure mark.
            for failover in action.failovers where failover.kind == .planned {
                let at = x(from + (action.durationMS ?? 0))
                svg += "<path class=\"failover\" d=\"M\(f(at)) \(f(top - 3)) l4 -6 h-8 z\"><title>planned failover of \(escape(failover.shard)): "
                    + "\(escape(failover.from)) → \(escape(failover.to)), write gap \(failover.unavailableMS) ms</title></path>\n"
            }
        }
        for mark in cache.marks where mark.kind != .paused && mark.kind != .resumed {
            let lane = mark.node ?? "cache"
            let at = x(mark.atMS), top = y(cache.lanes.contains(lane) ? lane : "cache")
            svg += "<path class=\"warning \(mark.kind.rawValue)\" d=\"M\(f(at)) \(f(top + 2)) l7 \(f(laneHeight - 4)) h-14 z\">"
                + "<title>\(escape(mark.kind.rawValue.replacingOccurrences(of: "_", with: " "))): \(escape(mark.detail))</title></path>\n"
        }
        svg += "</svg>\n"
        let failed = cache.actions.filter { $0.state == "failed" || $0.state == "interrupted" }
        return "<section class=\"cache\"><h2>\(escape(cache.id)) <small>\(escape(cache.placement)) · "
            + "<span class=\"status \(escape(cache.status))\">\(escape(cache.status))</span> · "
            + "\(cache.actions.filter { $0.state == "succeeded" }.count) of \(cache.actions.count) actions</small></h2>\n"
            + (cache.error.map { "<p class=\"error\">\(escape($0))</p>\n" } ?? "")
            + svg
            + (failed.isEmpty ? "" : "<ul class=\"failed\">" + failed.map {
                "<li>\(escape($0.summary)): \(escape($0.state))\($0.error.map { " — " + escape($0) } ?? "")</li>"
            }.joined() + "</ul>\n")
            + "</section>\n"
    }

    // MARK: Tables

    private static func durations(_ report: RolloutReport) -> String {
        guard !report.actionKinds.isEmpty else { return "" }
        return "<h2>Planned and actual time per kind of step</h2>\n<table><tr><th>step</th><th>actions</th><th>predicted</th><th>actual</th><th>ratio</th></tr>\n"
            + report.actionKinds.map { kind in
                let ratio = kind.predictedMS > 0 ? String(format: "%.2f", Double(kind.actualMS) / Double(kind.predictedMS)) : "–"
                return "<tr><td>\(escape(kind.step))</td><td>\(kind.count)</td><td>\(milliseconds(kind.predictedMS))</td>"
                    + "<td>\(milliseconds(kind.actualMS))</td><td>\(ratio)</td></tr>\n"
            }.joined() + "</table>\n"
    }

    private static func clientImpact(_ report: RolloutReport) -> String {
        guard let impact = report.clientImpact else { return "<h2>Client impact</h2>\n<p>No client probe ran (run with <code>--probe</code> on a live backend).</p>\n" }
        var html = "<h2>Client impact</h2>\n<table class=\"summary\">"
            + "<tr><th>Writes acknowledged</th><td>\(impact.writesAcknowledged)</td></tr>"
            + "<tr><th>Acknowledged writes lost</th><td>\(impact.acknowledgedWritesLost)</td></tr>"
            + "<tr><th>Write latency</th><td>p50 \(String(format: "%.2f", impact.latencyP50MS)) ms, p99 \(String(format: "%.2f", impact.latencyP99MS)) ms, "
            + "max \(String(format: "%.2f", impact.latencyMaxMS)) ms</td></tr>"
            + "<tr><th>Errors by kind</th><td>\(impact.clientErrors.isEmpty ? "none" : escape(impact.clientErrors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")))</td></tr>"
            + "</table>\n"
        html += "<table><tr><th>shard</th><th>acknowledged</th><th>lost</th><th>longest write gap</th></tr>\n"
            + impact.shards.map { "<tr><td>\(escape($0.name))</td><td>\($0.acknowledged)</td><td>\($0.lost)</td><td>\($0.longestGapMS) ms</td></tr>\n" }.joined()
            + "</table>\n"
        return html
    }

    private static func invariants(_ report: RolloutReport) -> String {
        "<h2>Invariants checked</h2>\n<table><tr><th>#</th><th>invariant</th><th>result</th></tr>\n"
            + report.invariants.map { invariant in
                "<tr><td>\(invariant.number)</td><td>\(escape(invariant.name))</td><td>"
                    + (invariant.violations.isEmpty ? "<span class=\"held\">held</span>"
                        : "<span class=\"violated\">violated</span><ul>" + invariant.violations.map { "<li>\(escape($0))</li>" }.joined() + "</ul>")
                    + "</td></tr>\n"
            }.joined() + "</table>\n"
    }

    private static func failovers(_ report: RolloutReport) -> String {
        guard !report.failovers.isEmpty else { return "" }
        return "<h2>Failovers</h2>\n<table><tr><th>cache</th><th>shard</th><th>kind</th><th>from</th><th>to</th><th>write gap</th></tr>\n"
            + report.failovers.map { failover in
                "<tr class=\"\(failover.kind.rawValue)\"><td>\(escape(failover.cache))</td><td>\(escape(failover.shard))</td><td>\(failover.kind.rawValue)</td>"
                    + "<td>\(escape(failover.from))</td><td>\(escape(failover.to))</td><td>\(failover.unavailableMS) ms</td></tr>\n"
            }.joined() + "</table>\n"
    }

    /// Where each step of the plan was written, with its actions' count.
    private static func locations(_ report: RolloutReport) -> String {
        var seen: [String: (step: String, count: Int)] = [:]
        var order: [String] = []
        for action in report.caches.flatMap(\.actions) {
            if seen[action.location] == nil { order.append(action.location) }
            seen[action.location, default: (action.step, 0)].count += 1
        }
        return "<h2>Plan source</h2>\n<table><tr><th>step</th><th>written at</th><th>actions</th></tr>\n"
            + order.map { "<tr><td>\(escape(seen[$0]?.step ?? ""))</td><td><code>\(escape($0))</code></td><td>\(seen[$0]?.count ?? 0)</td></tr>\n" }.joined()
            + "</table>\n"
    }

    // MARK: Text

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static func milliseconds(_ ms: Int64) -> String { Duration.milliseconds(ms).humanReadable }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;max-width:1120px}
        h1{font-size:22px}h2{font-size:17px;margin-top:28px}h2 small{font-weight:normal;color:#5b6475;font-size:13px}
        table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d7dbe3;padding:4px 8px;text-align:left;vertical-align:top}
        table.summary th{background:#f3f5f9;width:150px}code{font-family:ui-monospace,monospace;font-size:12px}
        .status{padding:1px 6px;border-radius:3px;background:#e6e9ef}.status.succeeded{background:#d8f0dc}
        .status.failed,.status.aborted{background:#f9d6d5}.status.paused,.status.running,.status.stopped{background:#fbecc6}
        .held{color:#1c7a35}.violated,.error{color:#b3261e}footer{margin-top:32px;color:#5b6475;font-size:12px}
        svg.timeline{display:block;margin:6px 0;font-size:11px}.lane{fill:#fbfcfe}.lane.even{fill:#f2f4f8}
        .lane-label{fill:#1d2330;font-family:ui-monospace,monospace}.tick{fill:#5b6475}
        .action{fill:#4b7bd1}.action.create_vms,.action.delete_vms{fill:#7d8797}.action.elect_leader{fill:#8a63c9}
        .action.migrate_shards{fill:#2f8f83}.action.failed,.action.interrupted{fill:#d9822b}
        .sync{fill:#0b3d36}.failover{fill:#1d2330}.warning{fill:#d92d20}.wait{fill:#f5d48a;opacity:.55}
        @media print{body{margin:0}}
        """
}

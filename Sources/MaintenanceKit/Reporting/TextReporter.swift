import Foundation

/// Prints one line per finished or failed action as it happens, then a readable summary.
public struct TextReporter: RolloutReporter {
    private let write: @Sendable (String) -> Void

    /// - Parameter write: Where lines go (standard output in the CLI); called once per line.
    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    public func report(_ event: RolloutEvent) {
        switch event {
        case let .rolloutStarted(plan, backend):
            write("\(plan.playbook): \(plan.caches.count) caches, \(plan.actionCount) actions, "
                  + "\(plan.expectedFailovers.count) planned failovers, predicted \(plan.predictedDuration.humanReadable) — backend \(backend)")
        case let .cacheStarted(cache, placement, at):
            write("\(Self.stamp(at)) \(cache.padded(14)) ▶ maintenance begins (\(placement))")
        case .actionStarted, .operationFinished, .resumed:
            break
        case let .actionAlreadyDone(action, at):
            write("\(Self.stamp(at)) \(action.cache.padded(14)) \(action.plugin.padded(15)) \(action.summary) — done before the interruption")
        case let .actionFinished(action, at, took, _, result):
            let detail = result.notes.isEmpty ? "" : " — " + result.notes.joined(separator: ", ")
            write("\(Self.stamp(at)) \(action.cache.padded(14)) \(action.plugin.padded(15)) \(action.summary) [\(took.humanReadable)]\(detail)")
        case let .actionFailed(action, at, error, attempt, willRetry):
            let next = willRetry ? "retrying" : "giving up"
            write("\(Self.stamp(at)) \(action.cache.padded(14)) \(action.plugin.padded(15)) FAILED (attempt \(attempt), \(next)): \(action.summary): \(error)")
        case let .paused(cache, at, until, reason):
            write("\(Self.stamp(at)) \(cache.padded(14)) ⏸ paused: \(reason); continues at \(until.formatted(.iso8601))")
        case let .faultInjected(cache, fault, node, at):
            write("\(Self.stamp(at)) \(cache.padded(14)) ⚡ injected: \(fault) (hit \(node))")
        case let .faultNotInjected(cache, fault, reason, at):
            write("\(Self.stamp(at)) \(cache.padded(14)) ⚡ NOT injected: \(fault): \(reason)")
        case let .unplannedFailure(cache, failure, at):
            write("\(Self.stamp(at)) \(cache.padded(14)) ✖ unplanned: \(failure.summary)")
        case let .cacheFinished(outcome):
            let end = switch outcome.status {
            case .succeeded: "■ done: \(outcome.replacements.count) nodes replaced, \(outcome.failovers.count) failovers"
            case .failed: "■ FAILED at \(outcome.stoppedAt ?? "the end"): \(outcome.error ?? outcome.violations.map(\.description).joined(separator: "; "))"
            case .stopped: "■ stopped \(outcome.stoppedAt ?? "")"
            case .paused: "■ \(outcome.error ?? "paused"); stopped \(outcome.stoppedAt ?? "")"
            case .skipped: "■ not started"
            }
            write("\(Self.stamp(outcome.finished)) \(outcome.cache.padded(14)) \(end)")
        case let .rolloutFinished(summary):
            for line in Self.summaryLines(summary) { write(line) }
        }
    }

    /// The summary as lines of text.
    public static func summaryLines(_ summary: RolloutSummary) -> [String] {
        var lines = ["", "Summary: \(summary.status.rawValue) on \(summary.backend) in \(Duration.milliseconds(summary.durationMS).humanReadable)"
                     + " (predicted \(Duration.milliseconds(summary.predictedDurationMS).humanReadable))"]
        let patched = summary.caches.filter { $0.status == .succeeded }.count
        lines.append("  caches patched: \(patched) of \(summary.caches.count); nodes replaced: \(summary.nodesReplaced)")
        let gaps = summary.failovers.filter { $0.kind == .planned }.map(\.unavailableMS).sorted()
        if gaps.isEmpty {
            lines.append("  failovers: none planned (plan expected \(summary.expectedFailovers))")
        } else {
            lines.append("  failovers: \(gaps.count) of \(summary.expectedFailovers) expected; client write gap per shard "
                         + "p50 \(gaps[gaps.count / 2])ms, max \(gaps.last ?? 0)ms")
        }
        let unplanned = summary.failovers.filter { $0.kind == .unplanned }.map(\.unavailableMS).sorted()
        if !unplanned.isEmpty {
            lines.append("  unplanned failovers: \(unplanned.count) after node failures; write gap (detection + promotion) "
                         + "p50 \(unplanned[unplanned.count / 2])ms, max \(unplanned.last ?? 0)ms")
        }
        if summary.syncMS > 0 {
            lines.append("  full syncs: \(String(format: "%.1f", summary.syncMB)) MB in \(Duration.milliseconds(summary.syncMS).humanReadable) (summed over shards)")
        }
        if summary.invariantViolations.isEmpty {
            lines.append("  invariants: all held")
        } else {
            lines.append("  invariants: \(summary.invariantViolations.count) VIOLATED")
            lines += summary.invariantViolations.map { "    \($0)" }
        }
        for cache in summary.caches {
            lines.append("  \(cache.cache.padded(14)) \(cache.placement.description.padded(28)) \(cache.status.rawValue.padded(9)) "
                         + "\(cache.actionsCompleted)/\(cache.actionsPlanned) actions, \(cache.failovers.count) failovers")
        }
        if !summary.failovers.isEmpty {
            lines.append("  failovers (simulated or measured client write gap):")
            for failover in summary.failovers {
                let detail = failover.detectionMS.map { " (detected in \($0)ms, promoted in \(failover.promotionMS ?? 0)ms)" } ?? ""
                lines.append("    \(failover.cache.padded(14)) \(failover.shard.padded(6)) \(failover.from) → \(failover.to) "
                             + "\(failover.kind.rawValue) \(failover.unavailableMS)ms\(detail)")
            }
        }
        return lines
    }

    /// What a client probe measured, as lines of text.
    public static func impactLines(_ impact: ClientImpact) -> [String] {
        let unverified = impact.acknowledgedWritesUnverified > 0 ? ", \(impact.acknowledgedWritesUnverified) NOT READABLE" : ""
        var lines = ["  clients: \(impact.writesAcknowledged) writes acknowledged, \(impact.acknowledgedWritesLost) lost\(unverified); "
                     + String(format: "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms", impact.latencyP50MS, impact.latencyP99MS, impact.latencyMaxMS)]
        let errors = impact.clientErrors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("  client errors: " + (errors.isEmpty ? "none" : errors.joined(separator: ", ")))
        for shard in impact.shards {
            lines.append("    \(shard.name.padded(20)) \(shard.acknowledged) acknowledged, \(shard.lost) lost, "
                         + "longest write gap \(shard.longestGapMS) ms (writes every \(String(format: "%.1f", impact.writeIntervalMS)) ms)")
        }
        return lines
    }

    /// `[  1:02:03.4]` — time since the rollout began.
    static func stamp(_ time: Duration) -> String {
        let tenths = Int((time.seconds * 10).rounded())
        let hours = tenths / 36000, minutes = (tenths / 600) % 60, seconds = (tenths / 10) % 60
        return "[\(String(hours).leftPadded(3)):\(String(format: "%02d:%02d.%d", minutes, seconds, tenths % 10))]"
    }
}

extension String {
    /// The string padded with spaces on the right to `width` (for columns in text output).
    public func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    /// The string padded with spaces on the left to `width`.
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// Prints a ``Plan`` for people: the schedule, then each cache's actions in order.
public enum PlanFormatter {
    /// The plan as lines of text.
    public static func lines(_ plan: Plan) -> [String] {
        var lines = [
            "Plan for \(plan.playbook) (\(plan.playbookPath))",
            "  \(plan.caches.count) caches, \(plan.actionCount) actions, \(plan.expectedFailovers.count) planned failovers, "
                + "predicted duration \(plan.predictedDuration.humanReadable)"
                + (plan.predictionBasis.map { " (from \($0))" } ?? ""),
            "  policy: at most \(plan.policy.maxParallelCaches) caches at once, one per \(plan.policy.oneCacheAtATimePer.rawValue), "
                + "on failure \(plan.policy.onFailure.rawValue)",
            "",
            "Schedule:",
        ]
        for cache in plan.caches {
            lines.append("  \(cache.cache.padded(14)) \(cache.placement.description.padded(28)) "
                         + "starts +\(cache.predictedStart.humanReadable.padded(7)) ends +\(cache.predictedEnd.humanReadable)")
        }
        for cache in plan.caches {
            lines.append("")
            let swaps = cache.replacements.map { "\($0.old) → \($0.new)" }.joined(separator: ", ")
            lines.append("Cache \(cache.cache) (\(cache.placement)): \(cache.actions.count) actions"
                         + (swaps.isEmpty ? "" : "; replaces \(swaps)"))
            for action in cache.actions {
                let failover = action.failover.map { "  ⇄ \($0.kind.rawValue) failover \($0.shard) \($0.from) → \($0.to)" } ?? ""
                lines.append("  \(String(action.index + 1).leftPadded(4)). \(action.plugin.padded(15)) \(action.summary) "
                             + "(~\(action.predictedDuration.humanReadable))\(failover)")
            }
        }
        return lines
    }
}

/// `verify`'s findings as text.
public enum VerificationFormatter {
    public static func lines(_ result: Verification, inventory: String) -> [String] {
        let depth = result.depth == .single ? "one fault" : "up to two faults"
        var lines = [
            "verify \(result.playbook) against \(inventory): \(depth) (\(result.kinds.map(\.rawValue).joined(separator: ", "))) "
                + "after each of \(result.boundaries) backend operations, on every node of the cache",
            "  \(result.explored) schedules explored in \(String(format: "%.2f", result.wallSeconds)) s "
                + "(\(Int(result.schedulesPerSecond.rounded())) schedules/s); \(result.held) held, \(result.broken) broke an invariant"
                + (result.notApplicable > 0 ? "; \(result.notApplicable) skipped (node not up at that moment)" : ""),
        ]
        if result.isSafe {
            lines.append(result.boundaries == 0 ? "  ✓ nothing to explore: the plan changes nothing (every node is up to date)"
                                                : "  ✓ every invariant held in every schedule")
            return lines
        }
        for (number, example) in result.counterexamples.enumerated() {
            let faults = example.faults.isEmpty ? "without any fault" : example.faults.map { "'\($0)'" }.joined(separator: " then ")
            lines.append("")
            let others = example.schedules > 1 ? "; \(example.schedules - 1) more schedules break it the same way" : ""
            lines.append("✗ counterexample \(number + 1) (cache \(example.cache)): \(faults)\(others)")
            lines += example.trace.map { "    \($0)" }
            lines.append("  \(example.violation)")
            if !example.faults.isEmpty {
                lines.append("  replay: maintctl run \(result.playbook) --dry-run " + example.faults.map { "--inject '\($0)'" }.joined(separator: " "))
            }
        }
        return lines
    }
}

import MaintenanceKit

/// Times the phases of one backend operation for its debug log line: each `lap` names the
/// phase that just ended and how long it took, so `--log-level debug` shows where the time
/// of a copy move goes (`started 21ms, met 180ms, replicating 2ms`).
struct PhaseTimer {
    private var last = ContinuousClock.now
    private(set) var phases: [String] = []

    /// Ends the phase under way, naming it.
    mutating func lap(_ phase: String) {
        let now = ContinuousClock.now
        phases.append("\(phase) \((now - last).milliseconds)ms")
        last = now
    }

    /// The phases so far, in order.
    var description: String { phases.joined(separator: ", ") }
}

import Synchronization

/// Named durations added from concurrent tasks (a rollout's reporter and its backend calls),
/// summed per name.
final class DurationLedger: Sendable {
    /// Total and count per name.
    struct Entry: Sendable {
        var total: Duration = .zero
        var count = 0
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Adds one `duration` under `name`.
    func add(_ name: String, _ duration: Duration) {
        entries.withLock { $0[name, default: Entry()].total += duration; $0[name, default: Entry()].count += 1 }
    }

    /// Everything added so far.
    var snapshot: [String: Entry] { entries.withLock { $0 } }
}

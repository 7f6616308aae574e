import MaintenanceKit
import Synchronization

/// Says nothing.
public struct Silent: RolloutReporter {
    public init() {}
    public func report(_ event: RolloutEvent) {}
}

/// Requests a stop once `actions` actions have finished.
public final class StopAfter: RolloutReporter {
    public let actions: Int
    public let stop: StopSignal
    private let finished = Mutex(0)

    public init(actions: Int, stop: StopSignal) {
        self.actions = actions
        self.stop = stop
    }

    public func report(_ event: RolloutEvent) {
        guard case .actionFinished = event else { return }
        let count = finished.withLock { value -> Int in
            value += 1
            return value
        }
        if count >= actions { stop.request() }
    }
}


/// Keeps the notes of every action that finished, with the action's summary.
public final class NoteCollector: RolloutReporter {
    private let collected = Mutex<[(action: String, note: String)]>([])

    public init() {}

    /// Every note so far, in the order the actions finished.
    public var notes: [(action: String, note: String)] { collected.withLock { $0 } }

    public func report(_ event: RolloutEvent) {
        guard case .actionFinished(let action, _, _, _, let result) = event else { return }
        collected.withLock { $0 += result.notes.map { (action.summary, $0) } }
    }
}

import Synchronization

/// The faults to inject into one cache's rollout, and the moments seen so far: which action
/// of which step is running and how many of its backend operations are done.
///
/// Shared by the cache's runtime loop (action boundaries, time) and the backend wrapper that
/// plugins act through (operation boundaries).
final class FaultSchedule: Sendable {
    struct State {
        var pending: [ScheduledFault]
        /// Actions started so far, per step plugin.
        var actionsStarted: [String: Int] = [:]
        /// The action running now: its step plugin, its number, operations done.
        var current: (step: String, number: Int, operations: Int)?
    }

    private let state: Mutex<State>

    init(_ faults: [ScheduledFault]) {
        state = Mutex(State(pending: faults))
    }

    var isEmpty: Bool { state.withLock { $0.pending.isEmpty } }

    /// Faults with a fixed time, for a real clock's timer.
    var timed: [ScheduledFault] {
        state.withLock { $0.pending.filter { if case .at = $0.trigger { true } else { false } } }
    }

    /// An action of `step` begins; the boundary before it is passed.
    func actionStarted(_ step: String) {
        state.withLock { state in
            let number = state.actionsStarted[step, default: 0] + 1
            state.actionsStarted[step] = number
            state.current = (step, number, 0)
        }
    }

    /// A backend operation of the current action returned; the faults due now.
    func operationDone(now: Duration) -> [ScheduledFault] {
        state.withLock { state in
            state.current?.operations += 1
            return Self.take(from: &state, now: now) { trigger, current in
                guard case let .after(step, number, operation?) = trigger, let current else { return false }
                return step == current.step && number == current.number && operation == current.operations
            }
        }
    }

    /// The current action ended (done or failed for good); the faults due now.
    func actionEnded(now: Duration) -> [ScheduledFault] {
        state.withLock { state in
            defer { state.current = nil }
            return Self.take(from: &state, now: now) { trigger, current in
                guard case let .after(step, number, operation) = trigger, let current else { return false }
                // A fault after an operation the action never reached happens when it ends.
                return step == current.step && number == current.number && (operation ?? 0) >= current.operations
            }
        }
    }

    /// The faults due at `now` by time alone.
    func due(now: Duration) -> [ScheduledFault] {
        state.withLock { Self.take(from: &$0, now: now) { _, _ in false } }
    }

    /// Removes `fault` if still pending; whether it was.
    func claim(_ fault: ScheduledFault) -> Bool {
        state.withLock { state in
            guard let index = state.pending.firstIndex(of: fault) else { return false }
            state.pending.remove(at: index)
            return true
        }
    }

    private static func take(from state: inout State, now: Duration,
                             matching: (FaultTrigger, (step: String, number: Int, operations: Int)?) -> Bool) -> [ScheduledFault] {
        var due: [ScheduledFault] = []
        state.pending.removeAll { fault in
            let isDue: Bool
            if case let .at(moment) = fault.trigger { isDue = moment <= now } else { isDue = matching(fault.trigger, state.current) }
            if isDue { due.append(fault) }
            return isDue
        }
        return due
    }
}

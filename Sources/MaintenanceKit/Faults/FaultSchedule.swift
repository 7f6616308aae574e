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
        /// Failures the backend reported right after an injection, not yet given to the action.
        var noticed: [UnplannedFailure] = []
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

    /// A backend operation of the current action returned: where it was (the action's step,
    /// its number, the operation's number) and the faults due now.
    func operationDone(now: Duration) -> (at: OperationPosition?, due: [ScheduledFault]) {
        state.withLock { state in
            state.current?.operations += 1
            let at = state.current.map { OperationPosition(step: $0.step, number: $0.number, operation: $0.operations) }
            return (at, Self.take(from: &state, now: now) { trigger, current in
                guard case let .after(step, number, operation?) = trigger, let current else { return false }
                return step == current.step && number == current.number && operation == current.operations
            })
        }
    }

    /// The current action ended (done or failed for good); the faults due now.
    func actionEnded(now: Duration) -> [ScheduledFault] {
        state.withLock { state in
            defer { state.current = nil }
            return Self.take(from: &state, now: now) { trigger, current in
                guard case let .after(step, number, operation) = trigger, let current else { return false }
                // A fault after an operation the action never reached happens when it ends.
                return step == current.step && number == current.number && (operation.map { $0 >= current.operations } ?? true)
            }
        }
    }

    /// The faults due at `now` by time alone.
    func due(now: Duration) -> [ScheduledFault] {
        state.withLock { Self.take(from: &$0, now: now) { _, _ in false } }
    }

    /// Keeps failures noticed right after an injection for the action in flight.
    func note(_ failures: [UnplannedFailure]) {
        state.withLock { $0.noticed += failures }
    }

    /// The failures noticed since the last call.
    func takeNoticed() -> [UnplannedFailure] {
        state.withLock { state in
            defer { state.noticed.removeAll() }
            return state.noticed
        }
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

/// Where a backend operation happened: the `operation`th of the `number`th action of `step`.
public struct OperationPosition: Sendable, Hashable {
    public var step: String
    public var number: Int
    public var operation: Int

    /// The trigger of a fault injected right after this operation.
    public var trigger: FaultTrigger { .after(step: step, number: number, operation: operation) }
}

import MaintenanceKit
import Synchronization

/// Listens to one explored run: what happened, in order, and whether its faults were injected.
/// A fault that cannot be injected (its node is not up at that moment) makes the schedule
/// meaningless, so the run is stopped at once.
final class ScheduleRecorder: RolloutReporter {
    /// One thing that happened, for a counterexample's trace.
    enum Entry: Sendable {
        case action(PlannedAction)
        case operation(OperationPosition, name: String)
        case fault(ScheduledFault, node: String)
        case failure(UnplannedFailure)
        case actionFailed(PlannedAction, error: String)
    }

    private struct State {
        var entries: [Entry] = []
        var injected = 0
        var notInjected = 0
    }

    private let state = Mutex(State())
    private let stop: StopSignal
    private let keepsTrace: Bool

    init(stop: StopSignal, keepsTrace: Bool) {
        self.stop = stop
        self.keepsTrace = keepsTrace
    }

    var entries: [Entry] { state.withLock { $0.entries } }
    var injected: Int { state.withLock { $0.injected } }
    var notInjected: Int { state.withLock { $0.notInjected } }

    func report(_ event: RolloutEvent) {
        switch event {
        case let .faultInjected(_, fault, node, _):
            state.withLock {
                $0.injected += 1
                if keepsTrace { $0.entries.append(.fault(fault, node: node)) }
            }
        case .faultNotInjected:
            state.withLock { $0.notInjected += 1 }
            stop.request(.requested)
        case let .actionStarted(action, _, _) where keepsTrace:
            state.withLock { $0.entries.append(.action(action)) }
        case let .operationFinished(_, position, name, _) where keepsTrace:
            state.withLock { $0.entries.append(.operation(position, name: name)) }
        case let .unplannedFailure(_, failure, _) where keepsTrace:
            state.withLock { $0.entries.append(.failure(failure)) }
        case let .actionFailed(action, _, error, _, false) where keepsTrace:
            state.withLock { $0.entries.append(.actionFailed(action, error: error)) }
        default:
            break
        }
    }
}

import Foundation

/// Something that happened during a rollout, as reporters see it.
public enum RolloutEvent: Sendable {
    /// The rollout begins.
    case rolloutStarted(plan: Plan, backend: String)
    /// A cache's maintenance begins.
    case cacheStarted(cache: String, placement: Placement, at: Duration)
    /// An attempt at an action begins (attempts count from 1, across resumed runs).
    case actionStarted(PlannedAction, at: Duration, attempt: Int)
    /// An action an interrupted earlier run already did; it is not done again.
    case actionAlreadyDone(PlannedAction, at: Duration)
    /// An action succeeded; `result` holds its notes, failovers and full syncs.
    case actionFinished(PlannedAction, at: Duration, took: Duration, attempt: Int, result: ActionResult)
    /// An action failed; `willRetry` tells whether another attempt follows.
    case actionFailed(PlannedAction, at: Duration, error: String, attempt: Int, willRetry: Bool)
    /// A cache waits for a maintenance window with room for its next node.
    case paused(cache: String, at: Duration, until: Date, reason: String)
    /// A cache that waited for a maintenance window goes on.
    case resumed(cache: String, at: Duration)
    /// A backend operation of an action returned (reported only when the runtime observes operations).
    case operationFinished(cache: String, OperationPosition, name: String, at: Duration)
    /// A fault was injected on purpose (`--inject`, a playbook's `faults:`, `verify`).
    case faultInjected(cache: String, fault: ScheduledFault, node: String, at: Duration)
    /// A fault could not be injected.
    case faultNotInjected(cache: String, fault: ScheduledFault, reason: String, at: Duration)
    /// A node failed under the rollout and the failure detector acted.
    case unplannedFailure(cache: String, UnplannedFailure, at: Duration)
    /// A cache's maintenance ended.
    case cacheFinished(CacheOutcome)
    /// The rollout ended.
    case rolloutFinished(RolloutSummary)
}

/// Receives events as they happen.
public protocol RolloutReporter: Sendable {
    /// Handles one event; called from the rollout's tasks, possibly concurrently.
    func report(_ event: RolloutEvent)
}

/// How one cache's maintenance ended.
public struct CacheOutcome: Sendable, Codable {
    /// How it ended.
    public enum Status: String, Sendable, Codable {
        case succeeded, failed, stopped, skipped
        /// Stopped before its next node because a node failed under it (policy `pause`).
        case paused
    }

    public var cache: String
    public var placement: Placement
    public var status: Status
    public var started: Duration
    public var finished: Duration
    public var actionsCompleted: Int
    public var actionsPlanned: Int
    /// The node replacements that completed: old node out of the cluster, new node live.
    public var replacements: [NodeReplacement]
    public var failovers: [FailoverReport]
    /// Nodes that failed under the rollout, and what the failure detector did.
    public var unplannedFailures: [UnplannedFailure] = []
    /// The full syncs its actions waited for.
    public var syncs: [SyncReport] = []
    public var violations: [InvariantViolation]
    /// The action it failed in or stopped before.
    public var stoppedAt: String?
    /// Why it failed.
    public var error: String?
    /// Faults, failures and waits for a window, in the order they happened.
    public var marks: [TimelineMark]? = nil
}

import Logging
import Synchronization

/// What a step plugin gets while it performs one action.
public struct ExecutionContext: Sendable {
    /// The backend to act through.
    public let backend: any Backend
    /// The clock to wait on.
    public let clock: any RolloutClock
    /// A logger for details.
    public let logger: Logger
    /// The cache acted on.
    public let cache: String
    /// 1 for the first try, 2 for the first retry, …
    public let attempt: Int
    /// The cache's actions planned after this one, in the plan's order: for a step that
    /// readies what its next actions need (a move starts copies for later moves: its node's,
    /// and some of the next node's). Nothing here is done yet, and none of it may be done by
    /// this action.
    public let upcoming: ArraySlice<PlannedAction>
    let recorder: ActionRecorder

    init(backend: any Backend, logger: Logger, cache: String, attempt: Int, upcoming: ArraySlice<PlannedAction>,
         recorder: ActionRecorder) {
        self.backend = backend
        self.clock = backend.clock
        self.logger = logger
        self.cache = cache
        self.attempt = attempt
        self.upcoming = upcoming
        self.recorder = recorder
    }

    /// Records a failover the action caused, for the summary.
    public func record(_ failover: FailoverReport) { recorder.record(failover) }

    /// Records a full sync the action waited for, for the summary.
    public func record(_ sync: SyncReport) { recorder.record(sync) }

    /// Adds a short note to the action's output line ("synced 2048 MB in 10.3s").
    public func note(_ text: String) { recorder.note(text) }
}

/// Collects what one action reports.
final class ActionRecorder: Sendable {
    private let state = Mutex<(failovers: [FailoverReport], syncs: [SyncReport], notes: [String])>(([], [], []))

    func record(_ failover: FailoverReport) { state.withLock { $0.failovers.append(failover) } }
    func record(_ sync: SyncReport) { state.withLock { $0.syncs.append(sync) } }
    func note(_ text: String) { state.withLock { $0.notes.append(text) } }
    var failovers: [FailoverReport] { state.withLock { $0.failovers } }
    var syncs: [SyncReport] { state.withLock { $0.syncs } }
    var notes: [String] { state.withLock { $0.notes } }
}

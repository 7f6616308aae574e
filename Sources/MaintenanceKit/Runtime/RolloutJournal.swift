/// Where a rollout writes down what it is about to do and what it did, so that a crash at any
/// instant leaves a record of exactly what may be half-done.
///
/// The runtime calls it around every attempt of every action; a write that fails stops the
/// action before it touches anything (an action is never done unrecorded). Its methods are
/// async: a durable commit waits for the disk off the cooperative pool.
public protocol RolloutJournal: Sendable {
    /// Records the intent to perform `attempt` of `action`, before the action acts.
    func recordIntent(_ action: PlannedAction, attempt: Int) async throws
    /// Records how the attempt ended and the state of its cache afterwards.
    func recordOutcome(_ action: PlannedAction, attempt: Int, result: ActionResult, observed: CacheTopology?) async throws
    /// Records how a cache's maintenance ended.
    func recordCacheFinished(_ outcome: CacheOutcome) async throws
    /// Whether an operator asked, from another process, that the rollout stop.
    func isAbortRequested() async -> Bool
}

/// How one attempt of an action ended, as the journal keeps it.
public struct ActionResult: Sendable, Codable, Hashable {
    /// Whether the attempt did its work.
    public var succeeded: Bool
    /// Why it failed.
    public var error: String?
    /// Short notes for people ("already moved").
    public var notes: [String]
    /// Failovers it caused.
    public var failovers: [FailoverReport]
    /// Full syncs it waited for.
    public var syncs: [SyncReport]
    /// When it began and how long it took, on the rollout's clock (virtual on the simulated
    /// backend); nil in journals written before it was recorded.
    public var timing: ActionTiming?

    public init(succeeded: Bool, error: String? = nil, notes: [String] = [], failovers: [FailoverReport] = [], syncs: [SyncReport] = [],
                timing: ActionTiming? = nil) {
        self.succeeded = succeeded
        self.error = error
        self.notes = notes
        self.failovers = failovers
        self.syncs = syncs
        self.timing = timing
    }
}

/// When an attempt began, and how long it took, on the rollout's clock.
public struct ActionTiming: Sendable, Codable, Hashable {
    public var startedMS: Int64
    public var durationMS: Int64

    public init(started: Duration, took: Duration) {
        startedMS = started.milliseconds
        durationMS = took.milliseconds
    }
}

/// The journal could not be written; the rollout stops rather than act unrecorded.
public struct JournalWriteError: Error, Sendable, CustomStringConvertible {
    public var underlying: String
    public init(underlying: String) { self.underlying = underlying }
    public var description: String { "could not write the journal: \(underlying)" }
}

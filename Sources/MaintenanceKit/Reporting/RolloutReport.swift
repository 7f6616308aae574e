/// What `maintctl report` shows of one journaled run: the summary, each cache's timeline, planned
/// against actual durations, client impact and the invariants. `--format json` prints it (keys in
/// snake case); ``ReportPage`` draws it as one self-contained HTML page.
public struct RolloutReport: Sendable, Codable {
    /// The format of this document.
    public var version = 1
    public var runID: String
    /// `rollout` or `rollback`.
    public var kind: String
    public var playbook: String
    public var backend: String
    /// The journal's status: `running` (or died running), `succeeded`, `failed`, `aborted`, `paused`, `rolled_back`.
    public var status: String
    /// When the run was created and last written, RFC 3339.
    public var created: String
    public var updated: String
    /// Wall time of the sessions that ran it, summed; nil while one still runs.
    public var durationMS: Int64?
    public var predictedDurationMS: Int64
    public var expectedFailovers: Int
    public var nodesReplaced: Int
    /// Acknowledged writes a client probe found missing; nil when no probe ran.
    public var acknowledgedWritesLost: Int?
    public var caches: [Cache]
    public var failovers: [FailoverSummary]
    public var actionKinds: [ActionKind]
    public var clientImpact: ClientImpact?
    public var invariants: [Invariant]
    public var sessions: [Session]

    public init(runID: String, kind: String, playbook: String, backend: String, status: String, created: String, updated: String,
                durationMS: Int64?, predictedDurationMS: Int64, expectedFailovers: Int, nodesReplaced: Int, acknowledgedWritesLost: Int?,
                caches: [Cache], failovers: [FailoverSummary], actionKinds: [ActionKind], clientImpact: ClientImpact?,
                invariants: [Invariant], sessions: [Session]) {
        self.runID = runID
        self.kind = kind
        self.playbook = playbook
        self.backend = backend
        self.status = status
        self.created = created
        self.updated = updated
        self.durationMS = durationMS
        self.predictedDurationMS = predictedDurationMS
        self.expectedFailovers = expectedFailovers
        self.nodesReplaced = nodesReplaced
        self.acknowledgedWritesLost = acknowledgedWritesLost
        self.caches = caches
        self.failovers = failovers
        self.actionKinds = actionKinds
        self.clientImpact = clientImpact
        self.invariants = invariants
        self.sessions = sessions
    }

    /// One cache: its lanes (one per node, and `cache` for steps on the whole cache) and what
    /// happened on them, on the rollout's clock.
    public struct Cache: Sendable, Codable {
        public var id: String
        public var placement: String
        /// `succeeded`, `failed`, `stopped`, `paused`, `skipped`, or `not finished`.
        public var status: String
        public var startedMS: Int64?
        public var finishedMS: Int64?
        public var lanes: [String]
        public var actions: [Action]
        public var marks: [TimelineMark]
        public var error: String?

        public init(id: String, placement: String, status: String, startedMS: Int64?, finishedMS: Int64?, lanes: [String],
                    actions: [Action], marks: [TimelineMark], error: String?) {
            self.id = id
            self.placement = placement
            self.status = status
            self.startedMS = startedMS
            self.finishedMS = finishedMS
            self.lanes = lanes
            self.actions = actions
            self.marks = marks
            self.error = error
        }
    }

    /// One planned action and how its last attempt went.
    public struct Action: Sendable, Codable {
        public var index: Int
        public var step: String
        public var summary: String
        /// Where its step was written (`file:line:col`).
        public var location: String
        public var lane: String
        /// `succeeded`, `failed`, `interrupted` (begun, no outcome recorded) or `not run`.
        public var state: String
        public var attempts: Int
        public var startMS: Int64?
        public var durationMS: Int64?
        public var predictedMS: Int64
        public var failovers: [FailoverSummary]
        public var syncs: [Sync]
        public var error: String?

        public init(index: Int, step: String, summary: String, location: String, lane: String, state: String, attempts: Int,
                    startMS: Int64?, durationMS: Int64?, predictedMS: Int64, failovers: [FailoverSummary], syncs: [Sync], error: String?) {
            self.index = index
            self.step = step
            self.summary = summary
            self.location = location
            self.lane = lane
            self.state = state
            self.attempts = attempts
            self.startMS = startMS
            self.durationMS = durationMS
            self.predictedMS = predictedMS
            self.failovers = failovers
            self.syncs = syncs
            self.error = error
        }
    }

    public struct Sync: Sendable, Codable {
        public var shard: String
        public var node: String
        public var megabytes: Double
        public var durationMS: Int64

        public init(_ report: SyncReport) {
            shard = report.shard
            node = report.node
            megabytes = report.megabytes
            durationMS = report.duration.milliseconds
        }
    }

    /// Planned against actual time for one kind of step, over the actions that finished.
    public struct ActionKind: Sendable, Codable {
        public var step: String
        public var count: Int
        public var predictedMS: Int64
        public var actualMS: Int64

        public init(step: String, count: Int, predictedMS: Int64, actualMS: Int64) {
            self.step = step
            self.count = count
            self.predictedMS = predictedMS
            self.actualMS = actualMS
        }
    }

    public struct Invariant: Sendable, Codable {
        public var number: Int
        public var name: String
        public var violations: [String]

        public init(number: Int, name: String, violations: [String]) {
            self.number = number
            self.name = name
            self.violations = violations
        }
    }

    public struct Session: Sendable, Codable {
        public var kind: String
        public var started: String
        public var ended: String?
        public var status: String?

        public init(kind: String, started: String, ended: String?, status: String?) {
            self.kind = kind
            self.started = started
            self.ended = ended
            self.status = status
        }
    }
}

/// What a rollout will do, cache by cache and action by action, and everything execution needs
/// to do it: the resolved steps, the policy, the faults to inject, the maintenance windows and
/// the fleet it was planned against. Pure data, printable, diffable and executable on its own
/// (`maintctl plan -o plan.json`, then `maintctl run --plan plan.json`).
public struct Plan: Sendable {
    /// The plan file format this maintctl writes and reads.
    public static let format = 1

    /// The maintctl version that made the plan; another version refuses to run it.
    public var maintctlVersion: String
    /// The playbook's name.
    public var playbook: String
    /// The playbook file.
    public var playbookPath: String
    /// The policy it runs under.
    public var policy: Policy
    /// The steps its actions perform, by their index.
    public var steps: [PlanStep]
    /// Faults to inject while it runs (a rehearsal), from the playbook's `faults:` list.
    public var faults: [ScheduledFault]
    /// When the rollout may work; always when empty.
    public var maintenanceWindows: [MaintenanceWindow]
    /// The fleet it was planned against.
    public var basis: PlanBasis
    /// One entry per targeted cache, in start order.
    public var caches: [CachePlan]
    /// What its predicted durations are based on (a backend's timing model, earlier runs).
    public var predictionBasis: String?

    public init(maintctlVersion: String = MaintctlVersion.current, playbook: String, playbookPath: String, policy: Policy,
                steps: [PlanStep], faults: [ScheduledFault] = [], maintenanceWindows: [MaintenanceWindow] = [],
                basis: PlanBasis, caches: [CachePlan]) {
        self.maintctlVersion = maintctlVersion
        self.playbook = playbook
        self.playbookPath = playbookPath
        self.policy = policy
        self.steps = steps
        self.faults = faults
        self.maintenanceWindows = maintenanceWindows
        self.basis = basis
        self.caches = caches
    }

    /// The failovers the plan expects, in order.
    public var expectedFailovers: [ExpectedFailover] {
        caches.flatMap { cache in cache.actions.compactMap { action in action.failover.map { ExpectedFailover(cache: cache.cache, failover: $0) } } }
    }
    /// The predicted wall time of the whole rollout.
    public var predictedDuration: Duration { caches.map(\.predictedEnd).max() ?? .zero }
    /// Every action, cache after cache.
    public var actionCount: Int { caches.reduce(0) { $0 + $1.actions.count } }
    /// The windows as a schedule.
    public var schedule: MaintenanceSchedule { MaintenanceSchedule(maintenanceWindows) }
}

/// The plan for one cache.
public struct CachePlan: Sendable {
    public var cache: String
    public var placement: Placement
    /// Old node → new node.
    public var replacements: [NodeReplacement]
    /// The actions, run one after another.
    public var actions: [PlannedAction]
    /// Predicted start, relative to the rollout's start.
    public var predictedStart: Duration
    /// Predicted end.
    public var predictedEnd: Duration
    /// Predicted time from start to end.
    public var predictedDuration: Duration { predictedEnd - predictedStart }

    public init(cache: String, placement: Placement, replacements: [NodeReplacement], actions: [PlannedAction],
                predictedStart: Duration, predictedEnd: Duration) {
        self.cache = cache
        self.placement = placement
        self.replacements = replacements
        self.actions = actions
        self.predictedStart = predictedStart
        self.predictedEnd = predictedEnd
    }
}

/// A node and the node that replaces it.
public struct NodeReplacement: Sendable, Codable, Hashable {
    public var old: String
    public var new: String
    public init(old: String, new: String) {
        self.old = old
        self.new = new
    }
}

/// A failover a plan expects, with its cache.
public struct ExpectedFailover: Sendable, Codable, Hashable {
    public var cache: String
    public var failover: PlannedFailover
}

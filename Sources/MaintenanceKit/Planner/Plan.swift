/// What a rollout will do, cache by cache and action by action: pure data, printable and diffable.
public struct Plan: Sendable, Codable {
    /// The playbook's name.
    public var playbook: String
    /// The playbook file.
    public var playbookPath: String
    /// The policy it runs under.
    public var policy: Policy
    /// One entry per targeted cache, in start order.
    public var caches: [CachePlan]
    /// The failovers the plan expects, in order.
    public var expectedFailovers: [ExpectedFailover] {
        caches.flatMap { cache in cache.actions.compactMap { action in action.failover.map { ExpectedFailover(cache: cache.cache, failover: $0) } } }
    }
    /// The predicted wall time of the whole rollout.
    public var predictedDuration: Duration { caches.map(\.predictedEnd).max() ?? .zero }
    /// Every action, cache after cache.
    public var actionCount: Int { caches.reduce(0) { $0 + $1.actions.count } }
}

/// The plan for one cache.
public struct CachePlan: Sendable, Codable {
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
}

/// A node and the node that replaces it.
public struct NodeReplacement: Sendable, Codable, Hashable {
    public var old: String
    public var new: String
}

/// A failover a plan expects, with its cache.
public struct ExpectedFailover: Sendable, Codable, Hashable {
    public var cache: String
    public var failover: PlannedFailover
}

/// What a step plugin sees and changes while it is planned for one cache.
public struct PlanningContext: Sendable {
    /// The cache as the inventory describes it.
    public let cache: CacheSpec
    /// The cache as it will be after the actions planned so far.
    public var topology: CacheTopology
    /// Duration estimates.
    public let timing: TimingModel
    /// Load estimates.
    public let load: LoadModel
    /// The step being planned.
    public internal(set) var step: StepInvocation
    /// The node a per-node step is planned for.
    public internal(set) var currentNode: String?
    /// The nodes the cache had when the rollout started, in inventory order.
    public let initialNodes: [String]
    /// Every node id of the fleet, so new nodes get ids no other cache uses.
    public let fleetNodeIDs: Set<String>
    /// Old node → its replacement, as planned by `create_vms`, in planning order.
    public var replacements: [(old: String, new: String)] = []
    /// The actions planned so far for this cache.
    public private(set) var actions: [PlannedAction] = []
    /// Projected breaches of a node's capacity (invariant 8).
    public private(set) var headroomProblems: [String] = []

    init(cache: CacheSpec, fleetNodeIDs: Set<String>, timing: TimingModel, load: LoadModel, step: StepInvocation) {
        self.fleetNodeIDs = fleetNodeIDs
        self.cache = cache
        self.topology = CacheTopology(cache)
        self.timing = timing
        self.load = load
        self.step = step
        self.initialNodes = cache.nodes.map(\.id)
    }

    /// The replacement planned for `old`, if any.
    public func replacement(for old: String) -> String? {
        replacements.first { $0.old == old }?.new
    }

    /// Appends an action of the current step.
    /// - Parameters:
    ///   - subject: What it acts on.
    ///   - summary: A line for people.
    ///   - failover: The failover it causes, if any.
    ///   - predictedDuration: How long it should take.
    public mutating func addAction(_ subject: ActionSubject, summary: String, failover: PlannedFailover? = nil,
                                   predictedDuration: Duration) {
        actions.append(PlannedAction(
            index: actions.count, cache: cache.id, plugin: step.pluginID, stepIndex: step.index,
            stepLocation: step.location, subject: subject, summary: summary, failover: failover,
            predictedDuration: predictedDuration))
    }

    /// Checks that each node named in `extra` stays within its capacity with its projected
    /// load in `topology` plus its `extra` load, recording a problem for each that would not.
    /// Name a node with an empty extra load to check its steady load.
    /// - Parameters:
    ///   - moment: What is happening, for the message ("syncing s1 to n4").
    ///   - extra: Transient load on some nodes during that moment.
    public mutating func checkHeadroom(during moment: String, extra: [String: NodeLoad] = [:]) {
        for nodeID in extra.keys.sorted() {
            guard let node = topology.node(nodeID) else { continue }
            let total = load.load(of: nodeID, in: topology) + extra[nodeID, default: NodeLoad()]
            if !total.fits(node.capacity) {
                headroomProblems.append(
                    "node '\(nodeID)' would need \(Int(total.memoryMB)) of \(Int(node.capacity.memoryMB)) MB memory and "
                        + "\(total.cpus.formatted2) of \(node.capacity.cpus.formatted2) CPUs while \(moment) (invariant 8: headroom)")
            }
        }
    }
}

extension Double {
    /// Two decimals at most, no trailing zeros: `1.5`, `0.25`, `4`.
    var formatted2: String {
        let rounded = (self * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

/// Whether a cache's rollout may go on after a node failed under it (`on_unplanned_failure:
/// continue`): the steps of the actions not yet done are planned again, from the cache as it
/// is now, with the same checks the planner makes before a rollout (headroom, invariants).
///
/// The actions that run are still the journaled ones (a resume must find the plan it wrote);
/// each checks the live state before it acts, so a copy lost with the node is re-created from
/// its shard's new primary. This check only tells whether that is still safe.
public struct ContinuationCheck: Sendable {
    let registry: PluginRegistry
    let steps: [Int: PreparedStep]
    let timing: TimingModel
    let load: LoadModel

    /// - Parameters:
    ///   - registry: The plugins.
    ///   - steps: The plan's steps, prepared.
    public init(registry: PluginRegistry, steps: [Int: PreparedStep], timing: TimingModel = TimingModel(), load: LoadModel = LoadModel()) {
        self.registry = registry
        self.steps = steps
        self.timing = timing
        self.load = load
    }

    /// What would break if `cachePlan` went on from its action at `next` with the cache as
    /// `topology` shows it; empty when it may go on.
    public func problems(continuing cachePlan: CachePlan, at next: Int, from topology: CacheTopology) -> [String] {
        let remaining = cachePlan.actions[min(next, cachePlan.actions.count)...]
        let invocations = steps.mapValues(\.invocation)
        guard let first = remaining.first.flatMap({ invocations[$0.stepIndex] }) else { return [] }
        var context = PlanningContext(cache: Self.spec(of: topology), fleetNodeIDs: Set(topology.nodes.map(\.id)),
                                      timing: timing, load: load, step: first)
        context.topology = topology
        context.replacements = cachePlan.replacements.map { (old: $0.old, new: $0.new) }
        var problems: [String] = []
        let failed = Set(topology.nodes.filter { $0.lifecycle == .failed }.map(\.id))
        if let lost = remaining.first(where: { $0.subject.destination.map(failed.contains) == true }), let destination = lost.subject.destination {
            problems.append("\(lost.stepLocation): '\(lost.summary)' needs node '\(destination)', which failed")
            return problems
        }
        var known = Set(Invariants.check(topology).map(\.identity))
        // Each step once per node, in the order the remaining actions run.
        var planned = Set<String>()
        for action in remaining {
            guard let invocation = invocations[action.stepIndex], let plugin = registry.step(action.plugin) else { continue }
            let node = invocation.isPerNode ? action.subject.node : nil
            guard planned.insert("\(action.stepIndex)|\(node ?? "")").inserted else { continue }
            for problem in context.plan(invocation, node: node, with: plugin, known: &known) {
                let why = switch problem {
                case let .refused(message), let .headroom(message): message
                case let .invariant(violation): "would break invariant \(violation.invariant) (\(violation.name)): \(violation.message)"
                }
                problems.append("\(invocation.location): \(invocation.displayName): \(why)")
            }
            if !problems.isEmpty { break }
        }
        return problems
    }

    /// An inventory entry for the cache as it is (nodes that are up, their copies).
    static func spec(of topology: CacheTopology) -> CacheSpec {
        let up = Set(topology.liveNodes.map(\.id))
        return CacheSpec(
            id: topology.id, resourceGroup: topology.placement.resourceGroup, region: topology.placement.region,
            leader: topology.leader ?? "", minReplicas: topology.minReplicas,
            nodes: topology.liveNodes.map { NodeSpec(id: $0.id, version: $0.version, capacity: $0.capacity) },
            shards: topology.shards.map { shard in
                ShardSpec(id: shard.id, primary: shard.primaryNode ?? "", replicas: shard.copies.filter { $0.role == .replica && up.contains($0.node) }.map(\.node),
                          sizeMB: shard.sizeMB)
            })
    }
}

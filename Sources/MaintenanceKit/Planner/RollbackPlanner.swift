/// Plans the undoing of a rollout that has not deleted its old nodes: bring the old nodes
/// back, give leadership back, move every copy from each new node to the node it replaced
/// (full sync, planned failover for primaries), and take the new nodes out and delete them.
///
/// The rollback is a plan like any other, run by the same runtime: journaled, resumable,
/// each action checking the live state before it acts.
public struct RollbackPlanner: Sendable {
    /// The plugins the rollback uses (restore_node, elect_leader, drain_node, migrate_shards,
    /// remove_node, delete_vms).
    public var registry: PluginRegistry
    public var timing = TimingModel()

    public init(registry: PluginRegistry) { self.registry = registry }

    /// The steps a rollback uses, in the order of their step indices.
    static let steps = ["restore_node", "elect_leader", "drain_node", "migrate_shards", "remove_node", "delete_vms"]

    /// The steps a rollback plan's actions refer to, by the index of their id in ``steps``.
    func planSteps(named name: String) throws(PlanningError) -> [PlanStep] {
        let location = SourceLocation.start(of: name)
        var planSteps: [PlanStep] = []
        for (index, id) in Self.steps.enumerated() {
            guard let plugin = registry.step(id) else { throw PlanningError("no step plugin '\(id)' for a rollback") }
            let (parameters, problems) = plugin.decode(.emptyMapping(at: location), "step '\(id)'")
            guard problems.isEmpty, let parameters, let encoded = try? plugin.encode(parameters) else {
                throw PlanningError("step '\(id)' cannot run without parameters")
            }
            planSteps.append(PlanStep(index: index, plugin: id, name: "rollback", parameters: encoded,
                                      timeout: plugin.descriptor.defaultTimeout, retries: 1,
                                      isPerNode: plugin.descriptor.scope == .node, location: location))
        }
        return planSteps
    }

    /// The rollback of `original` for the caches in `topologies` (each as it is now).
    /// - Parameters:
    ///   - original: The rollout's plan (its replacements tell which new node replaced which).
    ///   - topologies: The caches to roll back, as they are now.
    ///   - leaders: Each cache's leader before the rollout.
    ///   - name: The rollback's name, as its playbook.
    /// - Throws: `PlanningError` when a cache cannot be rolled back (an old node was deleted).
    public func plan(undoing original: Plan, topologies: [CacheTopology], leaders: [String: String],
                     name: String) throws(PlanningError) -> Plan {
        var caches: [CachePlan] = []
        for topology in topologies {
            guard let cachePlan = original.caches.first(where: { $0.cache == topology.id }) else { continue }
            let actions = try actions(undoing: cachePlan.replacements, in: topology, leader: leaders[topology.id], name: name)
            guard !actions.isEmpty else { continue }
            let length = actions.reduce(Duration.zero) { $0 + $1.predictedDuration }
            caches.append(CachePlan(cache: topology.id, placement: topology.placement,
                                    replacements: cachePlan.replacements.map { NodeReplacement(old: $0.new, new: $0.old) },
                                    actions: actions, predictedStart: .zero, predictedEnd: length))
        }
        let basis = PlanBasis(source: original.basis.source, inventory: Inventory(caches: topologies.map(ContinuationCheck.spec(of:))))
        return Plan(playbook: name, playbookPath: name, policy: original.policy, steps: try planSteps(named: name),
                    basis: basis, caches: caches)
    }

    private func actions(undoing replacements: [NodeReplacement], in topology: CacheTopology, leader: String?,
                         name: String) throws(PlanningError) -> [PlannedAction] {
        var actions: [PlannedAction] = []
        func add(_ step: String, _ subject: ActionSubject, _ summary: String, _ predicted: Duration, failover: PlannedFailover? = nil) {
            guard let index = Self.steps.firstIndex(of: step) else { return }
            actions.append(PlannedAction(index: actions.count, cache: topology.id, plugin: step, stepIndex: index,
                                         stepLocation: .start(of: name), subject: subject, summary: summary,
                                         failover: failover, predictedDuration: predicted))
        }
        let live = replacements.filter { replacement in
            topology.node(replacement.new).map { $0.lifecycle != .deleted } ?? false
        }
        for replacement in live {
            guard let old = topology.node(replacement.old), old.lifecycle != .deleted else {
                throw PlanningError("'\(replacement.old)' of '\(topology.id)' is deleted: delete_vms ran, the rollout can no longer be rolled back")
            }
            if old.lifecycle != .active {
                add("restore_node", ActionSubject(node: old.id), "restore \(old.id) to service", timing.drain)
            }
        }
        if let leader, topology.leader != leader, topology.node(leader).map({ $0.lifecycle != .deleted }) == true {
            add("elect_leader", ActionSubject(node: leader), "leader \(topology.leader ?? "none") → \(leader)", timing.leaderElection)
        }
        for replacement in live {
            let new = replacement.new, old = replacement.old
            if topology.node(new)?.lifecycle == .active {
                add("drain_node", ActionSubject(node: new), "drain \(new)", timing.drain)
            }
            let shards = topology.shards(on: new)
            let ordered = shards.filter { $0.primaryNode != new } + shards.filter { $0.primaryNode == new }
            for shard in ordered {
                let primary = shard.primaryNode == new
                let predicted = timing.sync(megabytes: shard.sizeMB) + (primary ? timing.plannedFailover : .zero) + timing.copyRemoval
                add("migrate_shards", ActionSubject(node: new, shard: shard.id, destination: old),
                    "move \(shard.id) (\(primary ? "primary" : "replica"), \(Int(shard.sizeMB)) MB) \(new) → \(old)", predicted,
                    failover: primary ? PlannedFailover(shard: shard.id, from: new, to: old) : nil)
            }
            if topology.node(new)?.lifecycle != .removed {
                add("remove_node", ActionSubject(node: new), "remove \(new) from the cluster", timing.nodeRemoval)
            }
        }
        if !live.isEmpty {
            let nodes = live.compactMap { replacement in topology.node(replacement.new) }
                .map { NodeSpec(id: $0.id, version: $0.version, capacity: $0.capacity) }
            add("delete_vms", ActionSubject(nodes: nodes), "delete \(nodes.count) VMs: \(nodes.map(\.id).joined(separator: ", "))", timing.vmDeletion)
        }
        return actions
    }
}

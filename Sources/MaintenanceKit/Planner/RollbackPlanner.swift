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

    /// A step of a rollback: as the plan carries it, and with its parameters typed for planning.
    struct RollbackStep {
        var step: PlanStep
        var invocation: StepInvocation
        var plugin: AnyStepPlugin
    }

    /// The steps a rollback plan's actions refer to, by the index of their id in ``steps``, each
    /// with its plugin's default parameters.
    func rollbackSteps(named name: String) throws(PlanningError) -> [RollbackStep] {
        let location = SourceLocation.start(of: name)
        var rollbackSteps: [RollbackStep] = []
        for (index, id) in Self.steps.enumerated() {
            guard let plugin = registry.step(id) else { throw PlanningError("no step plugin '\(id)' for a rollback") }
            let (parameters, problems) = plugin.decode(.emptyMapping(at: location), "step '\(id)'")
            guard problems.isEmpty, let parameters, let encoded = try? plugin.encode(parameters) else {
                throw PlanningError("step '\(id)' cannot run without parameters")
            }
            let isPerNode = plugin.descriptor.scope == .node
            let timeout = plugin.descriptor.defaultTimeout
            rollbackSteps.append(RollbackStep(
                step: PlanStep(index: index, plugin: id, name: "rollback", parameters: encoded, timeout: timeout, retries: 1,
                               isPerNode: isPerNode, location: location),
                invocation: StepInvocation(index: index, pluginID: id, name: "rollback", parameters: parameters, timeout: timeout,
                                           retries: 1, location: location, isPerNode: isPerNode),
                plugin: plugin))
        }
        return rollbackSteps
    }

    /// The rollback of `original` for the caches in `topologies` (each as it is now), planned
    /// through the step plugins as a rollout is: the replacements turned around (each new node
    /// is replaced by the node it replaced), every plugin planning against the cache as it is,
    /// with the planner's checks (invariants, headroom) after each step.
    /// - Parameters:
    ///   - original: The rollout's plan (its replacements tell which new node replaced which).
    ///   - topologies: The caches to roll back, as they are now.
    ///   - name: The rollback's name, as its playbook.
    /// - Throws: `PlanningError` when a cache cannot be rolled back (an old node was deleted) or
    ///   its rollback would break a rule.
    public func plan(undoing original: Plan, topologies: [CacheTopology], name: String) throws(PlanningError) -> Plan {
        let steps = try rollbackSteps(named: name)
        let byID = Dictionary(steps.map { ($0.step.plugin, $0) }, uniquingKeysWith: { first, _ in first })
        var caches: [CachePlan] = []
        for topology in topologies {
            guard let cachePlan = original.caches.first(where: { $0.cache == topology.id }) else { continue }
            let actions = try actions(undoing: cachePlan.replacements, in: topology, with: byID)
            guard !actions.isEmpty else { continue }
            let length = actions.reduce(Duration.zero) { $0 + $1.predictedDuration }
            caches.append(CachePlan(cache: topology.id, placement: topology.placement,
                                    replacements: cachePlan.replacements.map { NodeReplacement(old: $0.new, new: $0.old) },
                                    actions: actions, predictedStart: .zero, predictedEnd: length))
        }
        let basis = PlanBasis(source: original.basis.source, inventory: Inventory(caches: topologies.map(ContinuationCheck.spec(of:))))
        return Plan(playbook: name, playbookPath: name, policy: original.policy, steps: steps.map(\.step), basis: basis, caches: caches)
    }

    private func actions(undoing replacements: [NodeReplacement], in topology: CacheTopology,
                         with steps: [String: RollbackStep]) throws(PlanningError) -> [PlannedAction] {
        let live = replacements.filter { replacement in
            topology.node(replacement.new).map { $0.lifecycle != .deleted } ?? false
        }
        for replacement in live where topology.node(replacement.old).map({ $0.lifecycle == .deleted }) ?? true {
            throw PlanningError("'\(replacement.old)' of '\(topology.id)' is deleted: delete_vms ran, the rollout can no longer be rolled back")
        }
        guard let first = steps[Self.steps[0]] else { return [] }
        var context = PlanningContext(cache: ContinuationCheck.spec(of: topology), fleetNodeIDs: Set(topology.nodes.map(\.id)),
                                      timing: timing, load: LoadModel(), step: first.invocation)
        // The cache as it is (old nodes drained or removed included), each new node replaced by the node it replaced.
        context.topology = topology
        context.replacements = live.map { (old: $0.new, new: $0.old) }
        var known = Set(Invariants.check(topology).map(\.identity))
        var problems: [String] = []
        func plan(_ id: String, node: String?) {
            guard let step = steps[id] else { return }
            for problem in context.plan(step.invocation, node: node, with: step.plugin, known: &known) {
                let subject = id + (node.map { " \($0)" } ?? "")
                let why = switch problem {
                case let .refused(why), let .headroom(why): why
                case let .invariant(violation): "would break invariant \(violation.invariant) (\(violation.name)): \(violation.message)"
                }
                problems.append("\(subject): \(why)")
            }
        }
        for replacement in live { plan("restore_node", node: replacement.old) }
        plan("elect_leader", node: nil)
        for replacement in live {
            for id in ["drain_node", "migrate_shards", "remove_node"] { plan(id, node: replacement.new) }
        }
        if !live.isEmpty { plan("delete_vms", node: nil) }
        if let problem = problems.first {
            throw PlanningError("cannot roll back '\(topology.id)': \(problem)")
        }
        return context.actions
    }
}

/// Turns a playbook and an inventory into a concrete ``Plan``.
///
/// Each step's plugin expands itself against a projected topology, cache by cache and, in
/// `for_each` blocks, node by node in inventory order. The planner refuses a plan that would
/// put a node over its capacity (invariant 8) instead of discovering it mid-rollout.
public struct Planner: Sendable {
    /// The plugins steps are looked up in.
    public var registry: PluginRegistry
    /// Duration estimates.
    public var timing: TimingModel
    /// Load estimates.
    public var load: LoadModel

    public init(registry: PluginRegistry, timing: TimingModel = TimingModel(), load: LoadModel = LoadModel()) {
        self.registry = registry
        self.timing = timing
        self.load = load
    }

    /// Plans `playbook` against `inventory`.
    /// - Parameters:
    ///   - source: Where `inventory` was read from: `inventory` for the file, else the live backend's id.
    /// - Throws: `DiagnosticsError` with every step that cannot be planned, at the step's location.
    public func plan(_ playbook: Playbook, inventory: Inventory, source: String = "inventory") throws(DiagnosticsError) -> Plan {
        var cachePlans: [CachePlan] = []
        var problems: [Diagnostic] = []
        let targets = inventory.caches.filter(playbook.targets.includes)
        let fleetNodeIDs = Set(inventory.allNodeIDs)
        for cache in targets {
            switch planCache(cache, playbook: playbook, fleetNodeIDs: fleetNodeIDs) {
            case let .success(plan): cachePlans.append(plan)
            case let .failure(error): problems.append(contentsOf: error.diagnostics)
            }
        }
        var steps: [PlanStep] = []
        for invocation in playbook.invocations {
            do {
                guard let plugin = registry.step(invocation.pluginID) else { throw PlanningError("no step plugin '\(invocation.pluginID)'") }
                steps.append(PlanStep(index: invocation.index, plugin: invocation.pluginID, name: invocation.name,
                                      parameters: try plugin.encode(invocation.parameters), timeout: invocation.timeout,
                                      retries: invocation.retries, isPerNode: invocation.isPerNode, location: invocation.location))
            } catch {
                problems.append(Diagnostic(.unsafePlan, at: invocation.location, "step '\(invocation.displayName)' cannot be planned: \(error)"))
            }
        }
        guard problems.isEmpty else { throw DiagnosticsError(problems) }
        let keys = Dictionary(uniqueKeysWithValues: targets.map { ($0.id, playbook.policy.oneCacheAtATimePer.key(for: $0.placement)) })
        let durations = Dictionary(uniqueKeysWithValues: cachePlans.map {
            ($0.cache, $0.actions.reduce(Duration.zero) { $0 + $1.predictedDuration })
        })
        let times = CacheScheduler.predict(caches: cachePlans.map(\.cache), keys: keys,
                                           maxParallel: playbook.policy.maxParallelCaches, durations: durations)
        for index in cachePlans.indices {
            let time = times[cachePlans[index].cache] ?? (.zero, .zero)
            cachePlans[index].predictedStart = time.start
            cachePlans[index].predictedEnd = time.end
        }
        cachePlans = cachePlans.enumerated()
            .sorted { ($0.element.predictedStart, $0.offset) < ($1.element.predictedStart, $1.offset) }
            .map(\.element)
        return Plan(playbook: playbook.name, playbookPath: playbook.path, policy: playbook.policy, steps: steps,
                    faults: playbook.faults, maintenanceWindows: playbook.maintenanceWindows.windows,
                    basis: PlanBasis(source: source, inventory: inventory), caches: cachePlans)
    }

    private func planCache(_ cache: CacheSpec, playbook: Playbook, fleetNodeIDs: Set<String>) -> Result<CachePlan, DiagnosticsError> {
        guard let firstStep = playbook.invocations.first else {
            return .failure(DiagnosticsError([Diagnostic(.emptySteps, at: playbook.location, "the playbook has no steps")]))
        }
        var context = PlanningContext(cache: cache, fleetNodeIDs: fleetNodeIDs, timing: timing, load: load, step: firstStep)
        var problems: [Diagnostic] = []
        var reported = Set(Invariants.check(context.topology).map(\.identity))
        func run(_ invocation: StepInvocation, node: String?) {
            guard let plugin = registry.step(invocation.pluginID) else {
                problems.append(Diagnostic(.unknownStep, at: invocation.location, "no step plugin '\(invocation.pluginID)'"))
                return
            }
            let actionsBefore = context.actions.count
            for problem in context.plan(invocation, node: node, with: plugin, known: &reported) {
                let message = switch problem {
                case let .refused(why): "step '\(invocation.displayName)' cannot be planned for cache '\(cache.id)': \(why)"
                case let .headroom(why): "step '\(invocation.displayName)' in cache '\(cache.id)': \(why)"
                case let .invariant(violation):
                    "step '\(invocation.displayName)' would break invariant \(violation.invariant) "
                        + "(\(violation.name)) in cache '\(cache.id)': \(violation.message)"
                }
                problems.append(Diagnostic(.unsafePlan, at: invocation.location, message))
            }
            if let slow = context.actions[actionsBefore...].first(where: { $0.predictedDuration > invocation.timeout }) {
                problems.append(Diagnostic(.unsafePlan, at: invocation.location,
                                           "step '\(invocation.displayName)' in cache '\(cache.id)': '\(slow.summary)' is predicted to take "
                                           + "\(slow.predictedDuration.humanReadable), longer than the step's timeout \(invocation.timeout.humanReadable)"))
            }
        }
        for step in playbook.steps {
            switch step {
            case let .invoke(invocation):
                run(invocation, node: nil)
            case let .forEach(block):
                let nodes = block.selection == .oldNode ? context.replacements.map(\.old) : context.initialNodes
                for node in nodes {
                    for invocation in block.steps { run(invocation, node: node) }
                }
            }
            if problems.count > 20 { break }
        }
        guard problems.isEmpty else { return .failure(DiagnosticsError(problems)) }
        return .success(CachePlan(
            cache: cache.id, placement: cache.placement,
            replacements: context.replacements.map { NodeReplacement(old: $0.old, new: $0.new) },
            actions: context.actions, predictedStart: .zero, predictedEnd: .zero))
    }
}

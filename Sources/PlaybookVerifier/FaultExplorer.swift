import Foundation
import MaintenanceKit
import SimulatedBackend

/// `maintctl verify`: explores a playbook on the simulated backend with one fault (or two)
/// injected after every backend operation of every action, on every node of the cache, and
/// checks the invariants after every event. Caches fail independently of each other, so each
/// cache's plan is explored on its own; the whole plan also runs once without faults.
public struct FaultExplorer: Sendable {
    /// How many faults a schedule holds.
    public enum Depth: Int, Sendable, Codable {
        case single = 1, double = 2
    }

    let runner: ScheduleRunner
    let plan: Plan
    let inventory: Inventory
    let depth: Depth
    let kinds: [FaultKind]
    let parallelism: Int

    /// - Parameters:
    ///   - prepared: The plan to explore, its steps bound; it runs against the fleet it was planned against.
    ///   - registry: The plugins that perform the actions.
    ///   - depth: One fault per schedule, or two.
    ///   - kinds: Which faults to inject (`kill`; `pause` stalls a node long enough to be declared down).
    ///   - seed: Seeds the simulation's timings.
    public init(prepared: PreparedPlan, registry: PluginRegistry, depth: Depth, kinds: [FaultKind] = [.kill], seed: UInt64 = 1) {
        let plan = prepared.plan
        var config = SimulationConfig(seed: seed)
        config.detection = plan.policy.failureDetection
        let inventory = plan.basis.inventory
        let topologies = Dictionary(inventory.caches.map { ($0.id, CacheTopology($0)) }, uniquingKeysWith: { first, _ in first })
        self.runner = ScheduleRunner(registry: registry, plan: prepared, topologies: topologies, config: config)
        self.plan = plan
        self.inventory = inventory
        self.depth = depth
        self.kinds = kinds
        self.parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Explores every schedule and returns what held and the shortest counterexamples.
    public func explore() async -> Verification {
        let started = ContinuousClock.now
        var report = Verification(playbook: plan.playbookPath, depth: depth, kinds: kinds)
        report.counterexamples += await faultFreeViolations()
        var found: [ExploredSchedule] = []
        for cache in plan.caches {
            let baseline = await runner.run(cache, faults: [], tracing: true)
            let positions = Self.positions(in: baseline.trace)
            report.boundaries += positions.count
            let nodes = Self.nodes(of: cache, in: inventory)
            var schedules = positions.flatMap { position in
                nodes.flatMap { node in kinds.map { [fault($0, node, after: position)] } }
            }
            var results = await runAll(schedules, in: cache, tracing: depth == .double)
            if depth == .double {
                // A second fault at every moment the run with the first one reached, on another node.
                let seconds = zip(schedules, results).flatMap { schedule, result -> [[ScheduledFault]] in
                    guard result.applicable, result.violations.isEmpty, let first = schedule.first else { return [] }
                    let later = Self.positions(in: result.trace, after: first)
                    return later.flatMap { position in
                        nodes.filter { .node($0) != first.fault.target }.flatMap { node in
                            kinds.map { schedule + [fault($0, node, after: position)] }
                        }
                    }
                }
                results += await runAll(seconds, in: cache, tracing: false)
                schedules += seconds
            }
            for (schedule, result) in zip(schedules, results) {
                guard result.applicable else {
                    report.notApplicable += 1
                    continue
                }
                report.explored += 1
                if result.violations.isEmpty { report.held += 1 } else {
                    found.append(ExploredSchedule(cache: cache, faults: schedule, violations: result.violations))
                }
            }
        }
        report.broken = found.count
        report.counterexamples += await shortest(found)
        report.wallSeconds = (ContinuousClock.now - started).seconds
        return report
    }

    private func fault(_ kind: FaultKind, _ node: String, after position: OperationPosition) -> ScheduledFault {
        // A stall or cut long enough to be declared down; a slow link for as long as a rollout lasts.
        let duration: Duration? = switch kind {
        case .kill: nil
        case .pause, .partition: runner.config.detection.downAfter * 4
        case .slow: .seconds(3600)
        }
        return ScheduledFault(Fault(kind, .node(node), duration: duration, slowdown: kind == .slow ? 10 : nil), position.trigger)
    }

    /// Runs `schedules` of one cache, at most one per core at a time; results in order.
    private func runAll(_ schedules: [[ScheduledFault]], in cache: CachePlan, tracing: Bool) async -> [ScheduleRunner.Result] {
        await withTaskGroup(of: (Int, ScheduleRunner.Result).self) { group in
            var results = [ScheduleRunner.Result?](repeating: nil, count: schedules.count)
            var next = 0
            for _ in 0..<min(parallelism, schedules.count) {
                let index = next, schedule = schedules[index]
                group.addTask { (index, await runner.run(cache, faults: schedule, tracing: tracing)) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < schedules.count {
                    let index = next, schedule = schedules[index]
                    group.addTask { (index, await runner.run(cache, faults: schedule, tracing: tracing)) }
                    next += 1
                }
            }
            return results.map { $0 ?? ScheduleRunner.Result(applicable: false, violations: [], trace: []) }
        }
    }

    /// The whole plan once, with no fault: what breaks already (invariant 7 included).
    private func faultFreeViolations() async -> [Counterexample] {
        let violations = await runner.run(plan.caches, faults: [:]).violations
        var examples: [Counterexample] = []
        for violation in violations where !examples.contains(where: { $0.violation.invariant == violation.invariant }) {
            let cache = plan.caches.first { $0.cache == violation.cache }
            var trace: [ScheduleRecorder.Entry] = []
            if let cache { trace = await runner.run(cache, faults: [], tracing: true).trace }
            examples.append(Counterexample(violation: violation, cache: violation.cache, faults: [],
                                           trace: TraceFormatter.lines(trace, faults: []), schedules: 1))
        }
        return examples
    }

    /// One counterexample per broken invariant and fault site: the schedule with the fewest
    /// faults, then the earliest.
    private func shortest(_ found: [ExploredSchedule]) async -> [Counterexample] {
        var chosen: [String: ExploredSchedule] = [:]
        var occurrences: [String: Int] = [:]
        var order: [String] = []
        for schedule in found.sorted(by: { $0.faults.count < $1.faults.count }) {
            guard let violation = schedule.violations.first else { continue }
            // Where it breaks: the step whose action broke the rule, else where the fault hit.
            let site = violation.location?.description
                ?? schedule.faults.map { fault in location(of: fault, in: schedule.cache).map(\.description) ?? "?" }.joined(separator: ",")
            let key = "\(violation.invariant)|\(site)"
            occurrences[key, default: 0] += 1
            // A double fault whose first fault alone already breaks the same rule adds nothing.
            let explained = schedule.faults.count > 1 && chosen.values.contains {
                $0.faults.count == 1 && $0.cache.cache == schedule.cache.cache && $0.violations.first?.invariant == violation.invariant
                    && schedule.faults.contains($0.faults[0])
            }
            guard chosen[key] == nil, !explained else {
                if explained { occurrences[key, default: 1] -= 1 }
                continue
            }
            chosen[key] = schedule
            order.append(key)
        }
        var examples: [Counterexample] = []
        for key in order {
            guard let schedule = chosen[key], var violation = schedule.violations.first else { continue }
            if violation.location == nil, let last = schedule.faults.last {
                violation.location = location(of: last, in: schedule.cache)
                violation.step = action(of: last, in: schedule.cache).map(\.plugin)
            }
            let traced = await runner.run(schedule.cache, faults: schedule.faults, tracing: true)
            examples.append(Counterexample(violation: violation, cache: schedule.cache.cache, faults: schedule.faults,
                                           trace: TraceFormatter.lines(traced.trace, faults: schedule.faults),
                                           schedules: occurrences[key] ?? 1))
        }
        return examples
    }

    /// The action a fault follows.
    private func action(of fault: ScheduledFault, in cache: CachePlan) -> PlannedAction? {
        guard case let .after(step, number, _) = fault.trigger else { return nil }
        let matching = cache.actions.filter { $0.plugin == step }
        return matching.indices.contains(number - 1) ? matching[number - 1] : nil
    }

    private func location(of fault: ScheduledFault, in cache: CachePlan) -> SourceLocation? {
        action(of: fault, in: cache)?.stepLocation
    }

    /// The operation boundaries in a trace, after `fault` when given.
    static func positions(in trace: [ScheduleRecorder.Entry], after fault: ScheduledFault? = nil) -> [OperationPosition] {
        var reached = fault == nil
        var positions: [OperationPosition] = []
        for entry in trace {
            guard case let .operation(position, _) = entry else { continue }
            if reached { positions.append(position) } else if position.trigger == fault?.trigger {
                reached = true
                positions.append(position) // two nodes may fail at the same moment
            }
        }
        return positions
    }

    /// Every node a fault could hit in a cache: its own and the ones its plan creates.
    static func nodes(of cache: CachePlan, in inventory: Inventory) -> [String] {
        let own = inventory.caches.first { $0.id == cache.cache }?.nodes.map(\.id) ?? []
        return own + cache.replacements.map(\.new).filter { !own.contains($0) }
    }
}

/// A schedule that broke an invariant.
struct ExploredSchedule: Sendable {
    var cache: CachePlan
    var faults: [ScheduledFault]
    var violations: [InvariantViolation]
}

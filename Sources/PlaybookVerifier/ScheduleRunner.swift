import Logging
import MaintenanceKit
import SimulatedBackend

/// Runs one cache's plan on a fresh simulated fleet with some faults injected, and tells
/// whether the invariants held.
struct ScheduleRunner: Sendable {
    let registry: PluginRegistry
    /// The plan, its steps bound once for every schedule.
    let plan: PreparedPlan
    let topologies: [String: CacheTopology]
    let config: SimulationConfig

    /// What one run showed.
    struct Result: Sendable {
        /// Every fault of the schedule happened (a fault on a node that is not up does not).
        var applicable: Bool
        /// The broken invariants, earliest first.
        var violations: [InvariantViolation]
        /// What happened, when asked for.
        var trace: [ScheduleRecorder.Entry]
    }

    func run(_ cache: CachePlan, faults: [ScheduledFault], tracing: Bool = false) async -> Result {
        await run([cache], faults: faults.isEmpty ? [:] : [cache.cache: faults], tracing: tracing)
    }

    /// Runs the plans of `caches` together (as the rollout would schedule them) on one fresh
    /// simulated fleet, with `faults` by cache.
    func run(_ caches: [CachePlan], faults: [String: [ScheduledFault]], tracing: Bool = false) async -> Result {
        let backend = SimulatedBackend(topologies: caches.compactMap { topologies[$0.cache] }, config: config, clock: VirtualClock())
        let stop = StopSignal()
        let recorder = ScheduleRecorder(stop: stop, keepsTrace: tracing)
        var logger = Logger(label: "maintctl.verify")
        logger.logLevel = .critical
        var options = RolloutOptions(reporter: recorder, stop: stop, logger: logger)
        options.seed = config.seed
        options.honorWindows = false
        options.faults = faults
        options.observeOperations = tracing
        let summary = await RolloutRuntime(prepared: plan.restricted(to: caches), registry: registry, backend: backend, options: options).run()
        let applicable = recorder.injected == faults.values.reduce(0) { $0 + $1.count } && recorder.notInjected == 0
        return Result(applicable: applicable, violations: Self.merge(await backend.violations, summary.invariantViolations),
                      trace: recorder.entries)
    }

    /// The backend's violations (the moment each happened) and the runtime's (with the step
    /// that caused them): one entry per violation, with the step when either knows it.
    static func merge(_ backend: [InvariantViolation], _ runtime: [InvariantViolation]) -> [InvariantViolation] {
        var merged: [InvariantViolation] = []
        for violation in backend + runtime {
            let same = merged.firstIndex { $0.invariant == violation.invariant && $0.cache == violation.cache
                && ($0.message.hasPrefix(violation.message) || violation.message.hasPrefix($0.message)) }
            if let same {
                if merged[same].location == nil, violation.location != nil {
                    merged[same].location = violation.location
                    merged[same].step = violation.step
                }
            } else {
                merged.append(violation)
            }
        }
        return merged
    }
}

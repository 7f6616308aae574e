import Logging
import MaintenanceKit
import SimulatedBackend

/// Validates, plans and runs the rolling patch on a generated fleet, timing each phase.
struct FleetBenchmark {
    /// The fleet to generate.
    var shape: FleetShape
    /// The plugins steps resolve to.
    var registry: PluginRegistry
    /// The playbook to run (the text of `Playbooks/rolling-patch.yaml`).
    var playbook: SourceFile
    /// How many times each phase is measured.
    var repetitions: Int

    /// What one fleet size measured.
    struct Result {
        var shape: FleetShape
        /// Size of the generated inventory text.
        var inventoryBytes: Int
        /// Actions in the plan.
        var actions: Int
        /// Failovers the plan expects (and the run performed).
        var failovers: Int
        var validate = Timing()
        var plan = Timing()
        var run = Timing()
        /// validate + plan + run, per repetition.
        var total = Timing()
    }

    /// Measures `repetitions` times.
    /// - Throws: `BenchmarkFailure` when the inventory or playbook is rejected, the plan
    ///   cannot be made, or a rollout does not succeed with the planned failovers.
    func measure() async throws -> Result {
        let inventoryText = InventoryGenerator.yaml(for: shape)
        let inventorySource = SourceFile(path: "<generated \(shape.nodes)-node inventory>", text: inventoryText)
        var result = Result(shape: shape, inventoryBytes: inventoryText.utf8.count, actions: 0, failovers: 0)
        for _ in 0..<repetitions {
            let (loaded, validateTime) = try validate(inventorySource)
            let (plan, planTime) = try timed { try makePlan(loaded) }
            let (summary, runTime) = try await timedAsync { try await run(plan, loaded) }
            try check(summary, against: plan)
            result.actions = plan.actionCount
            result.failovers = plan.expectedFailovers.count
            result.validate.record(validateTime)
            result.plan.record(planTime)
            result.run.record(runTime)
            result.total.record(validateTime + planTime + runTime)
        }
        return result
    }

    /// Phase (a): load and check the inventory, then the playbook against it.
    private func validate(_ inventorySource: SourceFile) throws -> (LoadedPlaybook, Duration) {
        do {
            return try timed { () throws(DiagnosticsError) -> LoadedPlaybook in
                let inventory = try InventoryLoader.load(inventorySource)
                return try PlaybookLoader(registry: registry).load(playbook, inventory: inventory)
            }
        } catch {
            throw BenchmarkFailure("validate of the \(shape.nodes)-node fleet failed:\n\(Self.firstLines(of: error))")
        }
    }

    /// Phase (b): expand the playbook into actions.
    private func makePlan(_ loaded: LoadedPlaybook) throws -> Plan {
        do {
            return try Planner(registry: registry).plan(loaded.playbook, inventory: loaded.inventory)
        } catch {
            throw BenchmarkFailure("plan of the \(shape.nodes)-node fleet failed:\n\(Self.firstLines(of: error))")
        }
    }

    /// Phase (c): execute the plan on a fresh simulated fleet.
    private func run(_ plan: Plan, _ loaded: LoadedPlaybook) async throws -> RolloutSummary {
        var logger = Logger(label: "maintctl-bench")
        logger.logLevel = .warning
        let backend = SimulatedBackend(inventory: loaded.inventory, config: SimulationConfig())
        let runtime = try RolloutRuntime(plan: plan, registry: registry, backend: backend,
                options: RolloutOptions(reporter: DiscardingReporter(), stop: StopSignal(), logger: logger))
        return await runtime.run()
    }

    /// A rollout must succeed and perform exactly the failovers the plan expects.
    private func check(_ summary: RolloutSummary, against plan: Plan) throws {
        guard summary.status == .succeeded else {
            let why = summary.caches.first { $0.status != .succeeded }.map { "\($0.cache): \($0.error ?? $0.status.rawValue)" } ?? ""
            throw BenchmarkFailure("run of the \(shape.nodes)-node fleet ended \(summary.status.rawValue) \(why)")
        }
        guard summary.failovers.count == plan.expectedFailovers.count else {
            throw BenchmarkFailure("run of the \(shape.nodes)-node fleet made \(summary.failovers.count) failovers, "
                                   + "the plan expects \(plan.expectedFailovers.count)")
        }
    }

    /// The first few lines of a diagnostics dump.
    static func firstLines(of error: any Error, count: Int = 5) -> String {
        "\(error)".split(separator: "\n").prefix(count).joined(separator: "\n")
    }
}

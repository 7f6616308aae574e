import Foundation
import Logging
import MaintenanceKit
import Plugins
import SimulatedBackend

/// Loads the shipped playbooks and runs them on the simulated backend.
enum Rollouts {
    static let registry = try! PluginRegistry(steps: BuiltinPlugins.all)
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func load(_ playbook: String, inventory: String? = nil) throws -> LoadedPlaybook {
        try PlaybookLoader(registry: registry).load(path: packageRoot + "/Playbooks/" + playbook,
                                                    inventoryOverride: inventory.map { packageRoot + "/Playbooks/" + $0 })
    }

    /// Plans and runs a loaded playbook; returns the plan, the summary and the backend to inspect.
    static func run(_ loaded: LoadedPlaybook, seed: UInt64 = 1, backend: (any Backend)? = nil,
                    stop: StopSignal = StopSignal(), reporter: any RolloutReporter = Discard()) async throws
        -> (plan: Plan, summary: RolloutSummary, backend: any Backend) {
        let plan = try Planner(registry: registry).plan(loaded.playbook, inventory: loaded.inventory)
        let backend = backend ?? SimulatedBackend(inventory: loaded.inventory, config: SimulationConfig(seed: seed))
        let runtime = try RolloutRuntime(plan: plan, registry: registry, backend: backend,
                options: RolloutOptions(reporter: reporter, stop: stop, logger: Logger(label: "test"), seed: seed))
        return (plan, await runtime.run(), backend)
    }

    struct Discard: RolloutReporter {
        func report(_ event: RolloutEvent) {}
    }
}

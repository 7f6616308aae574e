import Foundation
import Logging
import MaintenanceKit
import SimulatedBackend

/// Planning shared by `plan`, `run` and `verify`.
enum Planning {
    /// Plans `loaded`, printing every problem.
    /// - Parameters:
    ///   - source: Where the inventory was read from (`inventory`, or a live backend's id).
    ///   - backend: The backend it will run on: predictions use its timing model, refined by
    ///     earlier runs on it (``TimingHistory``).
    /// - Throws: `Exit.invalidInput` after printing the diagnostics.
    static func plan(_ loaded: LoadedPlaybook, registry: PluginRegistry, source: String = "inventory",
                     backend: String = SimulatedBackend.descriptor.id) throws -> MaintenanceKit.Plan {
        let calibration = TimingHistory.calibration(for: backend)
        do {
            var plan = try Planner(registry: registry, timing: calibration.model).plan(loaded.playbook, inventory: loaded.inventory, source: source)
            plan.predictionBasis = calibration.basis
            return plan
        } catch {
            Output.printDiagnostics(error)
            throw Exit.invalidInput
        }
    }

    /// The backend a command acts on and the fleet to plan against: the inventory for the
    /// simulation, the live cluster's own view for a backend that drives real servers.
    /// - Parameter command: The command asking (`run`, `plan`): a live cluster is held against
    ///   other maintctl processes as long as the backend lives.
    /// - Throws: `Exit.refused` when another maintctl changes the live cluster,
    ///   `Exit.invalidInput` after saying why the backend cannot be had.
    static func fleet(_ id: String, state: String?, inventory: Inventory, policy: Policy, seed: UInt64 = 1, timeScale: Double? = nil,
                      logger: Logger = Registry.logger(verbose: false),
                      command: String) async throws -> (backend: any Backend, inventory: Inventory, source: String) {
        do {
            let factory = try Registry.factory(id)
            let (backend, fleet) = try await factory.make(BackendRequest(inventory: inventory, state: state, seed: seed, timeScale: timeScale,
                                                                         detection: policy.failureDetection, logger: logger, command: command))
            return (backend, fleet, factory.drivesLiveCluster ? id : "inventory")
        } catch {
            throw BackendRefusal.exitCode(after: error)
        }
    }

    /// Writes `plan` to `path`, atomically.
    /// - Throws: `Exit.invalidInput` after saying why it cannot be written.
    static func write(_ plan: MaintenanceKit.Plan, to path: String) throws {
        do {
            try PlanFile.data(of: plan).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            Output.error("maintctl: error: cannot write the plan to \(path): \(error.localizedDescription)")
            throw Exit.invalidInput
        }
        Output.error("maintctl: plan written to \(path) (apply it with: maintctl run --plan \(path))")
    }

    /// Reads and checks the plan file at `path`, printing every problem at its place in the file.
    /// - Throws: `Exit.invalidInput` after printing the diagnostics.
    static func load(_ path: String, registry: PluginRegistry) throws -> MaintenanceKit.Plan {
        do {
            return try PlanFile.load(path: path, registry: registry).plan
        } catch {
            Output.printDiagnostics(error)
            throw Exit.invalidInput
        }
    }

    /// Refuses a plan made against another fleet than `live`, naming each difference.
    /// - Throws: `Exit.invalidInput`; nothing has run.
    static func refuseIfStale(_ plan: MaintenanceKit.Plan, live: Inventory, path: String) throws {
        let differences = plan.basis.differences(from: live, caches: plan.caches.map(\.cache))
        guard !differences.isEmpty else { return }
        for difference in differences { Output.error("maintctl: error: \(path): the cluster changed since the plan was made: \(difference)") }
        Output.error("maintctl: \(path): nothing was executed; make the plan again against the cluster as it is")
        throw Exit.invalidInput
    }
}

import Logging
import MaintenanceKit
import Plugins
import ProcessBackend
import SimulatedBackend

/// The plugins and backends this build of maintctl ships with.
enum Registry {
    static let backends: [BackendDescriptor] = [SimulatedBackend.descriptor, ProcessBackend.descriptor]

    /// The logger of a command: warnings, or everything with `--verbose`.
    static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "maintctl")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    static func make() throws -> PluginRegistry {
        try PluginRegistry(steps: BuiltinPlugins.all, backends: backends)
    }

    /// The backend with `id`, and the inventory to plan against: the playbook's for the
    /// simulation, the live cluster's for a backend that drives real servers.
    /// - Throws: `BackendError` naming the available backends, or what the backend needs.
    static func makeBackend(_ id: String, inventory: Inventory, seed: UInt64, state: String?, timeScale: Double? = nil,
                            detection: FailureDetection = FailureDetection(),
                            logger: Logger) async throws -> (backend: any Backend, inventory: Inventory) {
        switch id {
        case SimulatedBackend.descriptor.id:
            var config = SimulationConfig(seed: seed)
            config.detection = detection
            return (SimulatedBackend(inventory: inventory, config: config, clock: VirtualClock(timeScale: timeScale)), inventory)
        case ProcessBackend.descriptor.id:
            guard let state else {
                throw BackendError("state-required", "--backend process acts on a live cluster: pass --state DIR "
                                   + "(start one with: maintctl cluster up INVENTORY --backend process --state DIR)")
            }
            let backend = try ProcessBackend(directory: state, logger: logger, detection: detection)
            return (backend, try await backend.currentInventory())
        default:
            throw BackendError("unknown-backend", "unknown backend '\(id)'; available: \(backends.map(\.id).joined(separator: ", "))")
        }
    }
}

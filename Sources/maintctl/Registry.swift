import ArgumentParser
import ContainerBackend
import Logging
import MaintenanceKit
import Plugins
import ProcessBackend
import SimulatedBackend

/// The plugins and backends this build of maintctl ships with.
enum Registry {
    static let backends: [BackendDescriptor] = [SimulatedBackend.descriptor, ProcessBackend.descriptor, ContainerBackend.descriptor]

    /// The logger of a command: warnings, or everything with `--verbose`.
    static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "maintctl")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// Whether backend `id` drives a live cluster (it needs `--state`).
    static func isLive(_ id: String) -> Bool { id != SimulatedBackend.descriptor.id }

    /// Refuses an unknown backend id.
    static func validate(backend id: String) throws {
        guard backends.contains(where: { $0.id == id }) else {
            throw ValidationError("unknown backend '\(id)'; available: \(backends.map(\.id).joined(separator: ", "))")
        }
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
        case ProcessBackend.descriptor.id, ContainerBackend.descriptor.id:
            guard let state else {
                throw BackendError(.stateRequired, "--backend \(id) acts on a live cluster: pass --state DIR "
                                   + "(start one with: maintctl cluster up INVENTORY --backend \(id) --state DIR)")
            }
            let backend = try attach(id, state: state, detection: detection, logger: logger)
            return (backend, try await backend.currentInventory())
        default:
            throw BackendError(.unknownBackend, "unknown backend '\(id)'; available: \(backends.map(\.id).joined(separator: ", "))")
        }
    }

    /// Attaches to the live cluster in `state` as backend `id` (`process` or `container`).
    /// - Throws: `BackendError` when there is no cluster there or it runs on another backend.
    static func attach(_ id: String, state: String, detection: FailureDetection = FailureDetection(),
                       logger: Logger) throws -> ProcessBackend {
        let backend = try ProcessBackend(directory: state, logger: logger, detection: detection, attach: ContainerBackend.attach)
        guard backend.descriptor.id == id else {
            throw BackendError(.wrongBackend, "'\(state)' holds a cluster of the \(backend.descriptor.id) backend; use --backend \(backend.descriptor.id)")
        }
        return backend
    }
}

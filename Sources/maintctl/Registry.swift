import MaintenanceKit
import Plugins
import SimulatedBackend

/// The plugins and backends this build of maintctl ships with.
enum Registry {
    static let backends: [BackendDescriptor] = [SimulatedBackend.descriptor]

    static func make() throws -> PluginRegistry {
        try PluginRegistry(steps: BuiltinPlugins.all, backends: backends)
    }

    /// The backend with `id`, set up for `inventory`.
    /// - Throws: `ValidationError` naming the available backends when `id` is not one.
    static func makeBackend(_ id: String, inventory: Inventory, seed: UInt64) throws -> any Backend {
        switch id {
        case SimulatedBackend.descriptor.id:
            return SimulatedBackend(inventory: inventory, config: SimulationConfig(seed: seed))
        default:
            throw BackendError("unknown-backend", "unknown backend '\(id)'; available: \(backends.map(\.id).joined(separator: ", "))")
        }
    }
}

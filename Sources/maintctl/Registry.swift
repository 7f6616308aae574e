import MaintenanceKit
import Plugins
import SimulatedBackend

/// The plugins and backends this build of maintctl ships with.
enum Registry {
    static let backends: [BackendDescriptor] = [SimulatedBackend.descriptor]

    static func make() throws -> PluginRegistry {
        try PluginRegistry(steps: BuiltinPlugins.all, backends: backends)
    }
}

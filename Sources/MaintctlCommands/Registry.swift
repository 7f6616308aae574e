import ArgumentParser
import ContainerBackend
import Logging
import MaintenanceKit
import Plugins
import ProcessBackend
import SimulatedBackend
import SSHBackend

/// The plugins and backends this build of maintctl ships with.
enum Registry {
    /// The backends, by the factories that make them.
    static let factories: [any BackendFactory] = [SimulatedBackendFactory(), ProcessBackendFactory(), ContainerBackend.factory, SSHBackend.factory]

    /// The backend ids, for help texts.
    static var backendIDs: String { factories.map(\.descriptor.id).joined(separator: ", ") }

    /// The logger of a command: warnings, or everything with `--verbose`.
    static func logger(verbose: Bool) -> Logger {
        // Through `Output`, so that a live progress block never writes over a log line.
        var logger = Logger(label: "maintctl") { OutputLogHandler(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    static func make() throws -> PluginRegistry {
        try PluginRegistry(steps: BuiltinPlugins.all, backends: factories)
    }

    /// The factory of backend `id`.
    /// - Throws: `ValidationError` naming the backends there are.
    static func factory(_ id: String) throws -> any BackendFactory {
        guard let factory = factories.first(where: { $0.descriptor.id == id }) else {
            throw ValidationError("unknown backend '\(id)'; available: \(backendIDs)")
        }
        return factory
    }

    /// Whether backend `id` drives a live cluster (it needs `--state`).
    static func isLive(_ id: String) -> Bool { (try? factory(id))?.drivesLiveCluster ?? false }

    /// Refuses an unknown backend id.
    static func validate(backend id: String) throws { _ = try factory(id) }
}

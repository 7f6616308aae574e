import ContainerBackend
import Logging
import MaintenanceKit
import ProcessBackend

/// Where a benchmark cluster's nodes live: local processes, or one container per node of the
/// engine `DOCKER_HOST` names (images built from the local `redis-server`).
enum ClusterNodes: String, Sendable, CustomStringConvertible {
    case processes, containers

    var description: String { rawValue }

    /// Starts `inventory` as a live cluster in `directory`.
    func up(_ inventory: Inventory, in directory: String, logger: Logger) async throws -> ProcessBackend {
        switch self {
        case .processes:
            try await ProcessBackend.up(inventory, in: directory, binaries: ["default": "redis-server"], logger: logger)
        case .containers:
            try await ContainerBackend.up(inventory, in: directory, images: [:], redisServer: "redis-server",
                                          engine: try ContainerEngine.fromEnvironment(), logger: logger)
        }
    }
}

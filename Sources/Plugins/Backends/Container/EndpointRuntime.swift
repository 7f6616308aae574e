import Foundation
import MaintenanceKit
import ProcessBackend

/// The endpoint (`maintctl-proxy`) of this machine as a node's container runs it: its
/// ``EndpointBundle`` mounted read-only under one directory of the container, so that it runs
/// in any image (whatever its C library).
enum EndpointRuntime {
    /// Where the runtime is mounted in a container.
    static let root = "/opt/maintctl-endpoint"

    /// The bundle, found once (`ldd`) per maintctl process, not per node and again per start.
    static func bundle() throws -> EndpointBundle {
        try found.get()
    }

    private static let found = Result(catching: { try EndpointBundle(binary: try EndpointProcess.locate()) })

    /// The mounts of the runtime; none when this machine has no endpoint to give (the cluster
    /// then runs without endpoints, as before they existed).
    static func mounts() -> [ContainerSpec.Mount] {
        ((try? bundle())?.files ?? []).map { ContainerSpec.Mount(Source: $0.source, Target: root + "/" + $0.path, ReadOnly: true) }
    }

    /// The command that starts the endpoint with `arguments` in a container provisioned with `mounts()`.
    /// - Throws: `BackendError` when this machine's endpoint cannot be bundled.
    static func command(arguments: [String]) throws -> [String] {
        try bundle().command(at: root, arguments: arguments)
    }
}

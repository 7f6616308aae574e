import Foundation
import MaintenanceKit
import ProcessBackend

/// The endpoint (`maintctl-proxy`) of this machine as a node's container runs it: the binary,
/// the shared libraries it needs and the dynamic loader, mounted read-only under one
/// directory of the container, so that it runs in any image (whatever its C library).
enum EndpointRuntime {
    /// Where the runtime is mounted in a container.
    static let root = "/opt/maintctl-endpoint"

    /// The files of this machine the endpoint needs, and where each is mounted: found once
    /// (`ldd`) per maintctl process, not per node and again per start.
    static func files() throws -> [(source: String, target: String)] {
        try found.get()
    }

    private static let found = Result(catching: { try find() })

    private static func find() throws -> [(source: String, target: String)] {
        let binary = URL(fileURLWithPath: try EndpointProcess.locate()).resolvingSymlinksInPath().path
        var files = [(binary, root + "/maintctl-proxy")]
        var names: Set<String> = []
        for library in try RedisImage.sharedLibraries(of: binary) {
            let name = URL(fileURLWithPath: library).lastPathComponent
            guard names.insert(name).inserted else { continue }
            files.append((URL(fileURLWithPath: library).resolvingSymlinksInPath().path, root + "/lib/" + name))
        }
        return files
    }

    /// The mounts of the runtime; none when this machine has no endpoint to give (the cluster
    /// then runs without endpoints, as before they existed).
    static func mounts() -> [ContainerSpec.Mount] {
        ((try? files()) ?? []).map { ContainerSpec.Mount(Source: $0.source, Target: $0.target, ReadOnly: true) }
    }

    /// The command that starts the endpoint with `arguments` in a container provisioned with `mounts()`.
    /// - Throws: `BackendError` when this machine's endpoint links no dynamic loader.
    static func command(arguments: [String]) throws -> [String] {
        guard let loader = try files().map(\.target).first(where: { $0.contains("/lib/ld-linux") || $0.contains("/lib/ld-musl") }) else {
            throw BackendError(.endpointStartFailed, "maintctl-proxy links no dynamic loader this backend can run it with")
        }
        return [loader, "--library-path", root + "/lib", root + "/maintctl-proxy"] + arguments
    }
}

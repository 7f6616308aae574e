import Logging
import MaintenanceKit
import ProcessBackend

/// The `container` backend: a real Redis Cluster whose nodes are containers of a local
/// engine (``ContainerHost``), driven like the process backend's. It is a ``ProcessBackend``
/// on a container host, so every step, the failure detector, faults and the probe work the
/// same on both.
public enum ContainerBackend {
    public static let descriptor = BackendDescriptor(
        id: "container",
        summary: "A real Redis Cluster whose nodes are containers of a local Docker Engine API (dockerd or Podman), host networking (needs --state DIR).")

    /// What a version runs when `--image` names none: maintctl's own image, built from
    /// `redis-server` on first use.
    public static let defaultImage = ContainerHost.builtRepository + ":" + ProcessBackend.versionPlaceholder

    /// Starts a Redis Cluster for each cache of `inventory`, one container per node.
    /// - Parameters:
    ///   - inventory: Caches, nodes and shards to start.
    ///   - directory: The state directory; it must not hold a cluster already.
    ///   - images: The image per version (`default` for the others; `{version}` in it stands
    ///     for the node's version). Unset: ``defaultImage``.
    ///   - redisServer: The binary maintctl builds its own images from when they are missing.
    ///   - engine: The container engine.
    ///   - logger: Where the backend logs.
    /// - Throws: `BackendError`: no engine answering, an image missing; whatever was started
    ///   is removed again before it throws.
    public static func up(_ inventory: Inventory, in directory: String, images: [String: String], redisServer: String,
                          engine: ContainerEngine, logger: Logger) async throws -> ProcessBackend {
        try await engine.ping()
        var runnables = images
        if runnables["default"] == nil { runnables["default"] = defaultImage }
        return try await ProcessBackend.up(inventory, in: directory, binaries: runnables,
                                           host: ContainerHost(engine: engine, imageSource: redisServer), logger: logger)
    }

    /// Makes container backends: attached to a cluster's state directory; `cluster up` runs one
    /// container per node of the engine `DOCKER_HOST` names.
    public static let factory = ProcessBackendFactory(descriptor: descriptor, artifact: .image, timing: timingModel, attach: attach) { request in
        try await up(request.inventory, in: request.state, images: request.artifacts, redisServer: request.redisServer,
                     engine: try ContainerEngine.fromEnvironment(), logger: request.logger)
    }

    /// Opens the host a cluster's state records: local processes or containers.
    /// - Throws: `BackendError` for a host kind this build does not know.
    public static func attach(_ record: HostRecord, directory: String) throws -> any ServerHost {
        record.kind == descriptor.id ? try ContainerHost(record: record, directory: directory)
            : try LocalProcessHost.attach(record, directory: directory)
    }
}

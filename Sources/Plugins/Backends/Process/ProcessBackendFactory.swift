import MaintenanceKit

/// Makes process backends: attached to the live cluster of a state directory, whose servers
/// run on a ``ServerHost`` (local processes; other hosts through `attach`).
public struct ProcessBackendFactory: BackendFactory {
    public let descriptor: BackendDescriptor
    /// Opens the host a cluster's state records.
    let attach: @Sendable (HostRecord, String) throws -> any ServerHost
    /// Starts a cluster (`maintctl cluster up`).
    let up: @Sendable (ClusterRequest) async throws -> ProcessBackend
    public let clusterArtifact: ClusterArtifact?
    public let timingModel: TimingModel

    /// The factory of local `redis-server` processes.
    public init() {
        self.init(descriptor: ProcessBackend.descriptor, artifact: .binary, timing: ProcessBackend.timingModel, attach: LocalProcessHost.attach) { request in
            try await ProcessBackend.up(request.inventory, in: request.state,
                                        binaries: request.artifacts.merging(["default": request.redisServer]) { given, _ in given },
                                        logger: request.logger)
        }
    }

    /// A factory of clusters on another kind of host.
    public init(descriptor: BackendDescriptor, artifact: ClusterArtifact?, timing: TimingModel,
                attach: @escaping @Sendable (HostRecord, String) throws -> any ServerHost,
                up: @escaping @Sendable (ClusterRequest) async throws -> ProcessBackend) {
        self.descriptor = descriptor
        self.clusterArtifact = artifact
        self.timingModel = timing
        self.attach = attach
        self.up = up
    }

    public var drivesLiveCluster: Bool { true }
    /// Real servers outlive a reboot: each commit is flushed to disk.
    public var journalDurability: JournalDurability { .machineCrash }

    public func make(_ request: BackendRequest) async throws -> (backend: any Backend, fleet: Inventory) {
        let backend = try open(request)
        await backend.resumeOverduePauses()
        try await backend.checkPassword()
        try await backend.startMissingEndpoints()
        return (backend, try await backend.currentInventory())
    }

    public func rebuild(_ request: BackendRequest, journaled: [CacheTopology]) async throws -> any Backend {
        let backend = try open(request)
        await backend.resumeOverduePauses()
        try await backend.checkPassword()
        try await backend.startMissingEndpoints()
        return backend
    }

    public func upCluster(_ request: ClusterRequest) async throws -> [String] {
        let cluster = try await up(request)
        let rows = await cluster.status()
        let endpoints = await cluster.endpointStatus()
        let tls = await cluster.clientTLS().map { " --tls --cacert \($0.caFile)" } ?? ""
        await cluster.close()
        return rows.map { "\($0.cache) \($0.node) \($0.shard) \($0.role) \($0.host):\($0.port) slots \($0.slots)" }
            + endpoints.compactMap { node in node.endpoint.map { "\(node.cache) \(node.node) endpoint \($0)" } }
            + ["cluster_state:ok — connect with: redis-cli\(tls) -c -h \(rows.first?.host ?? "127.0.0.1") -p \(rows.first?.port ?? 0)"
               + (endpoints.first?.endpoint.map { ", or any client through a node's endpoint: redis-cli\(tls) -u redis\(tls.isEmpty ? "" : "s")://\($0)" } ?? "")]
    }

    /// Attaches to the cluster of the request's state directory, refusing another backend's.
    private func open(_ request: BackendRequest) throws -> ProcessBackend {
        guard let state = request.state else {
            throw BackendError(.stateRequired, "--backend \(descriptor.id) acts on a live cluster: pass --state DIR "
                               + "(start one with: maintctl cluster up INVENTORY --backend \(descriptor.id) --state DIR)")
        }
        let backend = try ProcessBackend(directory: state, logger: request.logger, detection: request.detection, attach: attach,
                                         changingFor: request.command)
        guard backend.descriptor.id == descriptor.id else {
            throw BackendError(.wrongBackend, "'\(state)' holds a cluster of the \(backend.descriptor.id) backend; use --backend \(backend.descriptor.id)")
        }
        return backend
    }
}

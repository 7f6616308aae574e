/// The backend plugins act through while faults are scheduled (or operations observed): it
/// forwards every call and, after each operation that changes the cluster, tells the runtime,
/// which injects the faults due at that boundary.
struct OperationBoundaryBackend: Backend {
    static let descriptor = BackendDescriptor(id: "fault-schedule", summary: "Forwards to the rollout's backend, injecting scheduled faults between operations.")

    let base: any Backend
    /// Called after each changing operation, whether it succeeded or failed, with its name.
    let boundary: @Sendable (String) async -> Void

    var clock: any RolloutClock { base.clock }
    var descriptor: BackendDescriptor { base.descriptor }

    func run() async { await base.run() }

    private func operation<T: Sendable>(_ name: @autoclosure () -> String, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await boundary(name())
            return result
        } catch {
            await boundary(name() + " (failed)")
            throw error
        }
    }

    func topology(of cache: String) async throws -> CacheTopology { try await base.topology(of: cache) }
    func shard(_ shard: String, in cache: String) async throws -> ShardState? { try await base.shard(shard, in: cache) }
    func node(_ node: String, in cache: String) async throws -> NodeState? { try await base.node(node, in: cache) }
    func beginMaintenance(of cache: String) async throws { try await base.beginMaintenance(of: cache) }
    func endMaintenance(of cache: String) async throws { try await base.endMaintenance(of: cache) }

    func createNodes(_ nodes: [NodeSpec], in cache: String) async throws {
        try await operation("create \(nodes.map(\.id).joined(separator: ", "))") { try await base.createNodes(nodes, in: cache) }
    }
    func electLeader(_ node: String, in cache: String) async throws {
        try await operation("make \(node) leader") { try await base.electLeader(node, in: cache) }
    }
    func drainNode(_ node: String, in cache: String) async throws {
        try await operation("drain \(node)") { try await base.drainNode(node, in: cache) }
    }
    // Not an operation boundary: the empty copies it starts change no role and hold nothing.
    func prepareCopies(of shards: [String], on node: String, in cache: String) async {
        await base.prepareCopies(of: shards, on: node, in: cache)
    }
    func addReplica(of shard: String, on node: String, in cache: String) async throws {
        try await operation("add a copy of \(shard) on \(node)") { try await base.addReplica(of: shard, on: node, in: cache) }
    }
    func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        try await operation("full sync of \(shard) to \(node)") { try await base.waitForSync(of: shard, on: node, in: cache) }
    }
    func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport {
        try await operation("fail \(shard) over to \(node)") { try await base.failover(shard, to: node, in: cache) }
    }
    func removeCopy(of shard: String, from node: String, in cache: String) async throws {
        try await operation("drop the copy of \(shard) on \(node)") { try await base.removeCopy(of: shard, from: node, in: cache) }
    }
    func removeNode(_ node: String, in cache: String) async throws {
        try await operation("remove \(node)") { try await base.removeNode(node, in: cache) }
    }
    func restoreNode(_ node: String, in cache: String) async throws {
        try await operation("restore \(node)") { try await base.restoreNode(node, in: cache) }
    }
    func deleteNodes(_ nodes: [String], in cache: String) async throws {
        try await operation("delete \(nodes.joined(separator: ", "))") { try await base.deleteNodes(nodes, in: cache) }
    }
    func restartNode(_ node: String, version: String?, in cache: String) async throws {
        try await operation("restart \(node)") { try await base.restartNode(node, version: version, in: cache) }
    }
}

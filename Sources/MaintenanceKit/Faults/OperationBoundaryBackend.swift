/// The backend plugins act through while faults are scheduled: it forwards every call and,
/// after each operation that changes the cluster, lets the runtime inject the faults due at
/// that boundary.
struct OperationBoundaryBackend: Backend {
    static let descriptor = BackendDescriptor(id: "fault-schedule", summary: "Forwards to the rollout's backend, injecting scheduled faults between operations.")

    let base: any Backend
    /// Called after each changing operation, whether it succeeded or failed.
    let boundary: @Sendable () async -> Void

    var clock: any RolloutClock { base.clock }

    private func operation<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await boundary()
            return result
        } catch {
            await boundary()
            throw error
        }
    }

    func topology(of cache: String) async throws -> CacheTopology { try await base.topology(of: cache) }
    func beginMaintenance(of cache: String) async throws { try await base.beginMaintenance(of: cache) }
    func endMaintenance(of cache: String) async throws { try await base.endMaintenance(of: cache) }

    func createNodes(_ nodes: [NodeSpec], in cache: String) async throws {
        try await operation { try await base.createNodes(nodes, in: cache) }
    }
    func electLeader(_ node: String, in cache: String) async throws {
        try await operation { try await base.electLeader(node, in: cache) }
    }
    func drainNode(_ node: String, in cache: String) async throws {
        try await operation { try await base.drainNode(node, in: cache) }
    }
    func addReplica(of shard: String, on node: String, in cache: String) async throws {
        try await operation { try await base.addReplica(of: shard, on: node, in: cache) }
    }
    func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        try await operation { try await base.waitForSync(of: shard, on: node, in: cache) }
    }
    func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport {
        try await operation { try await base.failover(shard, to: node, in: cache) }
    }
    func removeCopy(of shard: String, from node: String, in cache: String) async throws {
        try await operation { try await base.removeCopy(of: shard, from: node, in: cache) }
    }
    func removeNode(_ node: String, in cache: String) async throws {
        try await operation { try await base.removeNode(node, in: cache) }
    }
    func restoreNode(_ node: String, in cache: String) async throws {
        try await operation { try await base.restoreNode(node, in: cache) }
    }
    func deleteNodes(_ nodes: [String], in cache: String) async throws {
        try await operation { try await base.deleteNodes(nodes, in: cache) }
    }
    func restartNode(_ node: String, version: String?, in cache: String) async throws {
        try await operation { try await base.restartNode(node, version: version, in: cache) }
    }
}

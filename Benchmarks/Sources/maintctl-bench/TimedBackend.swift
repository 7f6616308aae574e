import MaintenanceKit
import ProcessBackend

/// A `ProcessBackend` seen through a stopwatch: every operation is forwarded unchanged and
/// its wall time added to a ledger under `backend.<operation>`.
///
/// It also brings a clock of its own, started when the wrapper is made. `ProcessBackend`'s
/// clock starts when the backend object is made, so a summary's `durationMS` would count the
/// cluster's start, the key load and earlier rounds when one backend runs several rollouts.
struct TimedBackend: Backend {
    static var descriptor: BackendDescriptor { ProcessBackend.descriptor }

    let clock: any RolloutClock = WallClock()
    /// The backend doing the work.
    let base: ProcessBackend
    /// Where call durations go.
    let ledger: DurationLedger

    var descriptor: BackendDescriptor { base.descriptor }

    func run() async { await base.run() }

    private func timed<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        let started = ContinuousClock.now
        defer { ledger.add("backend." + name, ContinuousClock.now - started) }
        return try await body()
    }

    func topology(of cache: String) async throws -> CacheTopology {
        try await timed("topology") { try await base.topology(of: cache) }
    }

    func shard(_ shard: String, in cache: String) async throws -> ShardState? {
        try await timed("shard") { try await base.shard(shard, in: cache) }
    }

    func node(_ node: String, in cache: String) async throws -> NodeState? {
        try await timed("node") { try await base.node(node, in: cache) }
    }

    func beginMaintenance(of cache: String) async throws {
        try await timed("beginMaintenance") { try await base.beginMaintenance(of: cache) }
    }

    func endMaintenance(of cache: String) async throws {
        try await timed("endMaintenance") { try await base.endMaintenance(of: cache) }
    }

    func createNodes(_ nodes: [NodeSpec], in cache: String) async throws {
        try await timed("createNodes") { try await base.createNodes(nodes, in: cache) }
    }

    func electLeader(_ node: String, in cache: String) async throws {
        try await timed("electLeader") { try await base.electLeader(node, in: cache) }
    }

    func drainNode(_ node: String, in cache: String) async throws {
        try await timed("drainNode") { try await base.drainNode(node, in: cache) }
    }

    func prepareCopies(of shards: [String], on node: String, in cache: String) async {
        await timed("prepareCopies") { await base.prepareCopies(of: shards, on: node, in: cache) }
    }

    func addReplica(of shard: String, on node: String, in cache: String) async throws {
        try await timed("addReplica") { try await base.addReplica(of: shard, on: node, in: cache) }
    }

    func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        try await timed("waitForSync") { try await base.waitForSync(of: shard, on: node, in: cache) }
    }

    func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport {
        try await timed("failover") { try await base.failover(shard, to: node, in: cache) }
    }

    func removeCopy(of shard: String, from node: String, in cache: String) async throws {
        try await timed("removeCopy") { try await base.removeCopy(of: shard, from: node, in: cache) }
    }

    func removeNode(_ node: String, in cache: String) async throws {
        try await timed("removeNode") { try await base.removeNode(node, in: cache) }
    }

    func restoreNode(_ node: String, in cache: String) async throws {
        try await timed("restoreNode") { try await base.restoreNode(node, in: cache) }
    }

    func deleteNodes(_ nodes: [String], in cache: String) async throws {
        try await timed("deleteNodes") { try await base.deleteNodes(nodes, in: cache) }
    }

    func restartNode(_ node: String, version: String?, in cache: String) async throws {
        try await timed("restartNode") { try await base.restartNode(node, version: version, in: cache) }
    }
}

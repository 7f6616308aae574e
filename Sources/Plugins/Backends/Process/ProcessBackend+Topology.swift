import Foundation
import MaintenanceKit

extension ProcessBackend {
    /// The cache as the live servers have it now: each copy's role and whether it is in sync
    /// are asked of its server; copies on failed nodes and paused servers are not asked.
    /// - Parameter cache: The cache id.
    /// - Throws: `BackendError` for an unknown cache.
    public func topology(of cache: String) async throws -> CacheTopology {
        let record = try store.cache(cache)
        var shards: [ShardState] = []
        for shard in record.shards {
            var copies: [ShardCopy] = []
            for copy in shard.copies {
                // A copy on a node declared down is lost: not asked, never in sync; it keeps
                // the role it had when the node failed (a primary nothing could replace).
                if record.nodes.contains(where: { $0.id == copy.node && $0.lifecycle == .failed }) {
                    copies.append(ShardCopy(node: copy.node, role: copy.roleAtFailure ?? .replica, inSync: false))
                    continue
                }
                // A paused server would only time out: it is an out-of-sync replica for now.
                if RedisServerProcess.isStopped(copy.pid) {
                    copies.append(ShardCopy(node: copy.node, role: .replica, inSync: false))
                    continue
                }
                // A server that does not answer counts as an out-of-sync replica, and so does
                // a primary without slots (a copy that was never attached).
                let info = try? await driver.replication(copy.port)
                let serving = (try? await driver.isServingPrimary(copy.port)) ?? false
                // A server that sees slots unserved (cluster_state:fail) cannot be relied on.
                let clusterOK = (try? await driver.clusterStateOK(copy.port)) ?? false
                copies.append(ShardCopy(node: copy.node, role: serving ? .primary : .replica,
                                        inSync: clusterOK && (serving || (info.map { !$0.isPrimary && $0.linkUp } ?? false))))
            }
            shards.append(ShardState(id: shard.id, sizeMB: shard.sizeMB, copies: copies))
        }
        return CacheTopology(
            id: record.id, placement: record.placement, leader: record.leader, minReplicas: record.minReplicas,
            nodes: record.nodes.map { NodeState(id: $0.id, version: $0.version, capacity: $0.capacity, lifecycle: $0.lifecycle) },
            shards: shards)
    }

    /// Starts the maintenance of `cache` and its failure detector.
    /// - Throws: `InvariantViolation` 7 when another cache of its placement is under
    ///   maintenance; `BackendError` for an unknown cache or when the detector cannot start.
    public func beginMaintenance(of cache: String) async throws {
        let placement = try store.cache(cache).placement
        if let clash = underMaintenance.first(where: { other in store.state.caches.first { $0.id == other }?.placement == placement }) {
            throw InvariantViolation(7, cache: cache, "cache '\(clash)' in \(placement) is already under maintenance")
        }
        underMaintenance.insert(cache)
        try await startFailureDetector(for: cache)
    }

    /// Ends the maintenance of `cache`: the pauses injected into it end now (the rehearsal
    /// is over; nothing is left stopped), a node that comes back meanwhile is taken back,
    /// and its failure detector stops.
    public func endMaintenance(of cache: String) async throws {
        underMaintenance.remove(cache)
        await endPauses { $0.cache == cache }
        await settleReturns(in: cache, within: .seconds(2))
        await stopFailureDetector(for: cache)
    }

    /// The copy that is primary of `shard` now, asked live; copies on failed nodes and paused
    /// servers are not asked (they cannot serve).
    /// - Throws: `BackendError` unless exactly one copy answers as the serving primary.
    func primaryCopy(of shard: String, in cache: String) async throws -> ClusterState.Copy {
        var primaries: [ClusterState.Copy] = []
        for copy in try store.shard(shard, in: cache).copies
        where !store.isOnFailedNode(copy, in: cache) && !RedisServerProcess.isStopped(copy.pid) {
            if (try? await driver.isServingPrimary(copy.port)) == true { primaries.append(copy) }
        }
        guard primaries.count == 1, let primary = primaries.first else {
            throw BackendError(.noSinglePrimary, "shard '\(shard)' of '\(cache)' has \(primaries.count) primaries answering")
        }
        return primary
    }
}

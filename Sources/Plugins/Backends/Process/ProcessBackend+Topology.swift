import Foundation
import MaintenanceKit

extension ProcessBackend {
    /// The cache as the live servers have it now: each copy's role and whether it is in sync
    /// are asked of its server; copies on failed nodes and paused servers are not asked.
    /// - Parameter cache: The cache id.
    /// - Throws: `BackendError` for an unknown cache.
    public func topology(of cache: String) async throws -> CacheTopology {
        let record = try store.cache(cache)
        return CacheTopology(
            id: record.id, placement: record.placement, leader: record.leader, minReplicas: record.minReplicas,
            nodes: record.nodes.map { NodeState(id: $0.id, version: $0.version, capacity: $0.capacity, lifecycle: $0.lifecycle) },
            shards: await observe(record.shards, of: record))
    }

    /// One shard as its servers see it now, asking only them.
    /// - Throws: `BackendError` for an unknown cache.
    public func shard(_ shard: String, in cache: String) async throws -> ShardState? {
        let record = try store.cache(cache)
        return await observe(record.shards.filter { $0.id == shard }, of: record).first
    }

    /// One node as the state has it: its lifecycle is maintctl's, not the servers'.
    /// - Throws: `BackendError` for an unknown cache.
    public func node(_ node: String, in cache: String) async throws -> NodeState? {
        try store.cache(cache).nodes.first { $0.id == node }.map {
            NodeState(id: $0.id, version: $0.version, capacity: $0.capacity, lifecycle: $0.lifecycle)
        }
    }

    /// `shards` of the cache `record`, every live server asked at once, each over its own connection.
    private func observe(_ shards: [ClusterState.Shard], of record: ClusterState.Cache) async -> [ShardState] {
        let failed = Set(record.nodes.filter { $0.lifecycle == .failed }.map(\.id))
        let candidates = shards.flatMap(\.copies).filter { !failed.contains($0.node) }
        let asked = zip(candidates, await conditions(of: candidates)).filter { $0.1 != .stopped }.map(\.0)
        let driver = self.driver
        let answers = await Concurrently.map(asked) { copy in
            let reading = await ServerReading.read(copy.address, driver: driver)
            return ShardCopy(node: copy.node, role: reading.serving ? .primary : .replica, inSync: reading.inSync)
        }
        let observed = Dictionary(zip(asked.map(\.redisID), answers), uniquingKeysWith: { first, _ in first })
        return shards.map { shard in
            ShardState(id: shard.id, sizeMB: shard.sizeMB, copies: shard.copies.map { copy in
                // A copy on a node declared down is lost: not asked, never in sync; it keeps
                // the role it had when the node failed (a primary nothing could replace).
                if failed.contains(copy.node) { return ShardCopy(node: copy.node, role: copy.roleAtFailure ?? .replica, inSync: false) }
                // A paused server would only time out: it is an out-of-sync replica for now.
                return observed[copy.redisID] ?? ShardCopy(node: copy.node, role: .replica, inSync: false)
            })
        }
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
        await recognizeCopiesStartedAhead(in: cache)
        try await startFailureDetector(for: cache)
    }

    /// Ends the maintenance of `cache`: the pauses injected into it end now (the rehearsal
    /// is over; nothing is left stopped), copies started ahead of moves that did not come (a
    /// rollout that stopped) are removed, a node that comes back meanwhile is taken back,
    /// and its failure detector stops.
    public func endMaintenance(of cache: String) async throws {
        underMaintenance.remove(cache)
        preparationsForNewNodes[cache] = nil
        await endPauses { $0.cache == cache }
        await removeUnattachedCopies(of: cache)
        await settleReturns(in: cache, within: .seconds(2))
        await stopFailureDetector(for: cache)
    }

    /// The copy that is primary of `shard` now, asked live; copies on failed nodes and paused
    /// servers are not asked (they cannot serve).
    /// - Throws: `BackendError` unless exactly one copy answers as the serving primary.
    func primaryCopy(of shard: String, in cache: String) async throws -> ClusterState.Copy {
        let copies = try store.shard(shard, in: cache).copies
        let asked = zip(copies, await conditions(of: copies)).filter { copy, condition in
            !store.isOnFailedNode(copy, in: cache) && condition != .stopped
        }.map(\.0)
        // All asked at once: a move asks this three or four times, of up to four copies.
        let driver = self.driver
        let serving = await Concurrently.map(asked) { copy in (try? await driver.isServingPrimary(copy.address)) == true }
        let primaries = zip(asked, serving).filter(\.1).map(\.0)
        guard primaries.count == 1, let primary = primaries.first else {
            throw BackendError(.noSinglePrimary, "shard '\(shard)' of '\(cache)' has \(primaries.count) primaries answering")
        }
        return primary
    }
}

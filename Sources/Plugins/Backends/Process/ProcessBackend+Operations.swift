import Foundation
import MaintenanceKit
import RedisWire

extension ProcessBackend {
    public func topology(of cache: String) async throws -> CacheTopology {
        let c = try state.cacheIndex(cache)
        let record = state.caches[c]
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

    public func beginMaintenance(of cache: String) async throws {
        let placement = state.caches[try state.cacheIndex(cache)].placement
        if let clash = underMaintenance.first(where: { other in state.caches.first { $0.id == other }?.placement == placement }) {
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

    public func createNodes(_ nodes: [NodeSpec], in cache: String) async throws {
        let c = try state.cacheIndex(cache)
        let new = nodes.filter { node in !state.caches[c].nodes.contains(where: { $0.id == node.id && $0.lifecycle != .deleted }) }
        for node in new { try await host.check(version: node.version, runnable: state.runnable(for: node.version)) }
        // Provisioned side by side, as a cloud creates VMs; each one is recorded as soon as it
        // is up (a crash of maintctl then leaves no node the state does not know but those
        // still being made, which `cluster down` finds by their label), also when another fails.
        let (host, root, runnables) = (self.host, directory, state.binaries)
        var failure: (any Error)?
        await Self.concurrently(new) { node in
            try await host.provision(node, runnable: ClusterState.runnable(for: node.version, in: runnables),
                                     directory: ClusterState.nodeDirectory(root: root, node: node.id))
        } whenDone: { node, error in
            if let error {
                failure = failure ?? error
                return
            }
            // The id of a deleted VM may name a new one.
            state.caches[c].nodes.removeAll { $0.id == node.id }
            state.caches[c].nodes.append(ClusterState.Node(id: node.id, version: node.version, capacity: node.capacity, lifecycle: .active))
            do { try persist() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    public func electLeader(_ node: String, in cache: String) async throws {
        let c = try state.cacheIndex(cache)
        guard state.caches[c].nodes.contains(where: { $0.id == node && $0.lifecycle == .active }) else {
            throw BackendError(.nodeNotActive, "cannot make '\(node)' leader of '\(cache)': it is not an active node")
        }
        state.caches[c].leader = node
        try persist()
    }

    public func drainNode(_ node: String, in cache: String) async throws {
        try setLifecycle(.draining, of: node, in: cache)
    }

    public func addReplica(of shard: String, on node: String, in cache: String) async throws {
        let at = try location(of: shard, in: cache)
        if let existing = state.caches[at.cache].shards[at.shard].copies.first(where: { $0.node == node }) {
            if RedisServerProcess.isOurs(pid: existing.pid, port: existing.port) {
                // A copy that an interrupted attempt started: make sure it is met and replicating.
                let primary = try await primaryCopy(of: shard, in: cache)
                guard primary.redisID != existing.redisID else { return }
                try await meetEveryone(existing, cacheIndex: at.cache)
                try await driver.replicate(existing, of: primary)
                return
            }
            // A copy whose process died (a failed earlier attempt) is forgotten and started anew.
            try await retire(existing, cacheIndex: at.cache)
            state.caches[at.cache].shards[at.shard].copies.removeAll { $0.redisID == existing.redisID }
            try persist()
        }
        guard let version = state.caches[at.cache].nodes.first(where: { $0.id == node && $0.lifecycle == .active })?.version else {
            throw BackendError(.nodeNotActive, "cannot place a copy of \(shard) on '\(node)': it is not an active node")
        }
        let primary = try await primaryCopy(of: shard, in: cache)
        let copy = try await startCopy(shard: shard, node: node, version: version)
        state.caches[at.cache].shards[at.shard].copies.append(copy)
        try persist()
        try await meetEveryone(copy, cacheIndex: at.cache)
        try await driver.replicate(copy, of: primary)
    }

    public func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        let at = try location(of: shard, in: cache)
        guard let copy = state.caches[at.cache].shards[at.shard].copies.first(where: { $0.node == node }) else {
            throw BackendError(.noCopy, "shard '\(shard)' has no copy on '\(node)'")
        }
        var primary = try await primaryCopy(of: shard, in: cache)
        let started = ContinuousClock.now
        guard primary.redisID != copy.redisID else {
            return SyncReport(shard: shard, node: node, megabytes: 0, duration: .zero) // a primary is its own truth
        }
        var primaryLostAt: ContinuousClock.Instant?
        // Synced: the link is up, no sync in progress, and the replica has received at least
        // everything the primary had when we asked it.
        try await Polling.waitUntil("the copy of \(shard) on \(node) to be in sync", limit: .seconds(3600)) {
            guard RedisServerProcess.isOurs(pid: copy.pid, port: copy.port) else {
                throw BackendError(.copyDied, "the redis-server of \(shard) on \(node) (pid \(copy.pid)) died during the sync")
            }
            // A primary that died (or was declared down) mid-sync: the copy syncs from the
            // replica promoted in its place, once there is one.
            if !RedisServerProcess.isOurs(pid: primary.pid, port: primary.port) || self.isOnFailedNode(primary, cache: at.cache) {
                let lostAt = primaryLostAt ?? .now
                primaryLostAt = lostAt
                guard let promoted = try? await self.primaryCopy(of: shard, in: cache), promoted.redisID != primary.redisID else {
                    if ContinuousClock.now - lostAt > .seconds(30) {
                        throw BackendError(.primaryLost, "the primary of \(shard) died during the sync to \(node) and no replica replaced it within 30s")
                    }
                    return false
                }
                guard promoted.redisID != copy.redisID else {
                    throw BackendError(.copyPromoted, "the copy of \(shard) on \(node) was promoted before its sync was confirmed")
                }
                primary = promoted
                primaryLostAt = nil
            }
            let target = try await self.driver.replication(primary.port).offset
            let replica = try await self.driver.replication(copy.port)
            return !replica.isPrimary && replica.linkUp && replica.offset >= target
        }
        let megabytes = try await driver.datasetMegabytes(primary.port)
        return SyncReport(shard: shard, node: node, megabytes: megabytes, duration: ContinuousClock.now - started)
    }

    public func removeCopy(of shard: String, from node: String, in cache: String) async throws {
        let at = try location(of: shard, in: cache)
        guard let copy = state.caches[at.cache].shards[at.shard].copies.first(where: { $0.node == node }) else { return }
        // From here on the failure detector promotes another replica rather than this one
        // when it can; the checks below run after any verdict it is about to give.
        retiring.insert(copy.redisID)
        defer { retiring.remove(copy.redisID) }
        // A copy of the shard whose server died, on a node not yet declared down, may change
        // what removing this one means (its primary may be about to move): wait for the verdict.
        for other in state.caches[at.cache].shards[at.shard].copies
        where other.node != node && !isOnFailedNode(other, cache: at.cache) && !RedisServerProcess.isOurs(pid: other.pid, port: other.port) {
            await awaitVerdict(on: other.node, in: cache)
        }
        if (try? await driver.isServingPrimary(copy.port)) == true {
            throw InvariantViolation(1, cache: cache, "refused to remove the primary copy of '\(shard)' on '\(node)'")
        }
        // The other replicas must be seen in sync; a server too slow to answer now (a loaded
        // machine, a short stall) gets a few seconds before the removal is refused.
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let topology = try await topology(of: cache)
            let failed = Set(topology.nodes.filter { $0.lifecycle == .failed }.map(\.id))
            let copies = topology.shard(shard)?.copies ?? []
            let othersInSync = copies.filter { $0.node != node && $0.role == .replica && $0.inSync }.count
            // Copies lost with a failed node lower the count a shard must keep (invariant 5 as
            // `Invariants.check` reads it); forgetting such a copy takes nothing away.
            let lost = copies.filter { failed.contains($0.node) }.count
            if failed.contains(node) || othersInSync >= state.caches[at.cache].minReplicas - lost { break }
            if ContinuousClock.now >= deadline {
                throw InvariantViolation(5, cache: cache, "refused to remove the copy of '\(shard)' on '\(node)': "
                                         + "\(othersInSync) in-sync replicas would be left, fewer than \(state.caches[at.cache].minReplicas)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await retire(copy, cacheIndex: at.cache)
        state.caches[at.cache].shards[at.shard].copies.removeAll { $0.redisID == copy.redisID }
        try persist()
        try await waitUntilHealthy(cacheIndex: at.cache)
    }

    public func removeNode(_ node: String, in cache: String) async throws {
        try refuseIfHoldingCopies(node, in: cache, doing: "remove")
        try setLifecycle(.removed, of: node, in: cache)
    }

    public func restoreNode(_ node: String, in cache: String) async throws {
        let c = try state.cacheIndex(cache)
        guard let current = state.caches[c].nodes.first(where: { $0.id == node }), current.lifecycle != .deleted else {
            throw BackendError(.nodeDeleted, "cannot restore '\(node)' of '\(cache)': it is deleted")
        }
        try await host.provision(NodeSpec(id: node, version: current.version, capacity: current.capacity),
                                 runnable: state.runnable(for: current.version), directory: ClusterState.nodeDirectory(root: directory, node: node))
        try setLifecycle(.active, of: node, in: cache)
    }

    public func deleteNodes(_ nodes: [String], in cache: String) async throws {
        for node in nodes { try refuseIfHoldingCopies(node, in: cache, doing: "delete") }
        // Deleted side by side; each one that is gone is recorded even when another fails.
        let (host, root) = (self.host, directory)
        var failure: (any Error)?
        await Self.concurrently(nodes) { node in
            try await host.delete(node, directory: ClusterState.nodeDirectory(root: root, node: node))
        } whenDone: { node, error in
            do {
                if let error { throw error }
                try setLifecycle(.deleted, of: node, in: cache)
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// Runs `body` on every item side by side and, on the caller's actor, `whenDone` with each
    /// item and the error it threw, if any, as each finishes.
    static func concurrently<Item: Sendable>(_ items: [Item], isolation: isolated (any Actor)? = #isolation,
                                             _ body: @escaping @Sendable (Item) async throws -> Void,
                                             whenDone: (Item, (any Error)?) -> Void) async {
        await withTaskGroup(of: (Item, (any Error)?).self, isolation: isolation) { group in
            for item in items {
                group.addTask {
                    do {
                        try await body(item)
                        return (item, nil)
                    } catch {
                        return (item, error)
                    }
                }
            }
            for await (item, error) in group { whenDone(item, error) }
        }
    }

    /// The copy that is primary of `shard` now, asked live; copies on failed nodes and paused
    /// servers are not asked (they cannot serve).
    func primaryCopy(of shard: String, in cache: String) async throws -> ClusterState.Copy {
        let at = try location(of: shard, in: cache)
        var primaries: [ClusterState.Copy] = []
        for copy in state.caches[at.cache].shards[at.shard].copies
        where !isOnFailedNode(copy, cache: at.cache) && !RedisServerProcess.isStopped(copy.pid) {
            if (try? await driver.isServingPrimary(copy.port)) == true { primaries.append(copy) }
        }
        guard primaries.count == 1, let primary = primaries.first else {
            throw BackendError(.noSinglePrimary, "shard '\(shard)' of '\(cache)' has \(primaries.count) primaries answering")
        }
        return primary
    }

    /// Whether `copy` lies on a node the failure detector declared down.
    func isOnFailedNode(_ copy: ClusterState.Copy, cache c: Int) -> Bool {
        state.caches[c].nodes.contains { $0.id == copy.node && $0.lifecycle == .failed }
    }

    private func refuseIfHoldingCopies(_ node: String, in cache: String, doing verb: String) throws {
        let c = try state.cacheIndex(cache)
        if let shard = state.caches[c].shards.first(where: { $0.copies.contains { $0.node == node } }) {
            throw InvariantViolation(4, cache: cache, "refused to \(verb) node '\(node)': it still holds a copy of shard '\(shard.id)'")
        }
        if state.caches[c].leader == node {
            throw InvariantViolation(6, cache: cache, "refused to \(verb) node '\(node)': it is the cluster leader")
        }
    }

    private func setLifecycle(_ lifecycle: NodeLifecycle, of node: String, in cache: String) throws {
        let c = try state.cacheIndex(cache)
        guard let n = state.caches[c].nodes.firstIndex(where: { $0.id == node }) else {
            throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(node)'")
        }
        state.caches[c].nodes[n].lifecycle = lifecycle
        try persist()
    }
}

import Foundation
import MaintenanceKit
import RedisWire

extension ProcessBackend {
    /// Planned failover without losing an acknowledged write: writes pause on the primary,
    /// the replica catches up to the primary's offset, the replica takes the slots over
    /// (`CLUSTER FAILOVER TAKEOVER`, safe here because nothing can be written meanwhile),
    /// the old primary turns replica, and writes resume — clients follow the MOVED redirect.
    ///
    /// `CLUSTER FAILOVER` without TAKEOVER does its own pause and wait, but on redis 7.0 it
    /// answers before anything happens, took 100–150 ms (once 5 s) and sometimes never
    /// happened; this path is measured in milliseconds and verified before it returns.
    public func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport {
        let at = try location(of: shard, in: cache)
        guard let target = state.caches[at.cache].shards[at.shard].copies.first(where: { $0.node == node }) else {
            throw BackendError(.noCopy, "shard '\(shard)' has no copy on '\(node)'")
        }
        let primary = try await primaryCopy(of: shard, in: cache)
        guard primary.redisID != target.redisID else {
            return FailoverReport(cache: cache, shard: shard, kind: .planned, from: node, to: node, unavailable: .zero)
        }
        let before = try await driver.replication(target.port)
        guard !before.isPrimary, before.linkUp else {
            throw BackendError(.replicaNotReady, "the copy of \(shard) on '\(node)' is not a linked replica; refusing a planned failover")
        }
        let paused = ContinuousClock.now
        // The pause expires by itself if maintctl dies mid-failover.
        try await driver.run(primary.port, "CLIENT", "PAUSE", "5000", "WRITE")
        do {
            try await Polling.waitUntil("the replica of \(shard) on \(node) to reach the primary's offset", limit: .seconds(3),
                                interval: .milliseconds(1)) {
                let primaryOffset = try await self.driver.replication(primary.port).offset
                return try await self.driver.replication(target.port).offset >= primaryOffset
            }
            try await driver.run(target.port, "CLUSTER", "FAILOVER", "TAKEOVER")
            try await Polling.waitUntil("\(node) to become primary of \(shard)", limit: .seconds(3), interval: .milliseconds(1)) {
                try await self.driver.replication(target.port).isPrimary
            }
            try await Polling.waitUntil("the old primary of \(shard) to turn replica", limit: .seconds(10), interval: .milliseconds(1)) {
                try await !self.driver.replication(primary.port).isPrimary
            }
        } catch {
            _ = try? await driver.run(primary.port, "CLIENT", "UNPAUSE")
            throw error
        }
        _ = try? await driver.run(primary.port, "CLIENT", "UNPAUSE")
        let gap = ContinuousClock.now - paused
        // Every other copy, the old primary too, now replicates the new primary; wait until
        // they are linked so the shard keeps its in-sync replicas before anything is removed.
        // The demoted primary follows the new one by itself; its own replicas would keep
        // following it (chained), so point them at the new primary directly.
        // A copy whose server is gone or whose node failed (a node failing under the
        // rollout) is lost, not waited for.
        let others = state.caches[at.cache].shards[at.shard].copies.filter { $0.redisID != target.redisID }
        let isLost = { (copy: ClusterState.Copy) in
            await self.isOnFailedNode(copy, cache: at.cache) || !RedisServerProcess.isOurs(pid: copy.pid, port: copy.port)
        }
        for copy in others where await !isLost(copy) {
            if (try? await driver.replication(copy.port).primaryPort) != target.port { try await driver.replicate(copy, of: target) }
        }
        try await Polling.waitUntil("the replicas of \(shard) to follow \(node)", limit: .seconds(30)) {
            for copy in others where await !isLost(copy) {
                let info = try await self.driver.replication(copy.port)
                guard !info.isPrimary, info.primaryPort == target.port, info.linkUp else { return false }
            }
            return true
        }
        try await waitUntilHealthy(cacheIndex: at.cache)
        return FailoverReport(cache: cache, shard: shard, kind: .planned, from: primary.node, to: node, unavailable: gap)
    }

    /// Restarts every copy on `node` (all replicas) with what runs `version`, keeping ports
    /// and cluster identity, and waits until each is linked and in sync again. The node's
    /// servers stop together, as on a rebooted machine; a host whose nodes are bound to what
    /// runs them (a container's image) provisions the node anew in between.
    public func restartNode(_ node: String, version: String?, in cache: String) async throws {
        let c = try state.cacheIndex(cache)
        guard let n = state.caches[c].nodes.firstIndex(where: { $0.id == node }) else {
            throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(node)'")
        }
        let newVersion = version ?? state.caches[c].nodes[n].version
        try await host.check(version: newVersion, runnable: state.runnable(for: newVersion))
        let held = state.caches[c].shards.indices.compactMap { s in
            state.caches[c].shards[s].copies.firstIndex { $0.node == node }.map { (shard: s, copy: $0) }
        }
        // Every copy must be seen a replica, before any stops and again right before each
        // stops: a copy restarts empty (nothing is saved) with its cluster identity, so a
        // primary restarted this way would come back owning its slots with no data, and its
        // replicas would sync that.
        for (s, k) in held { try await requireReplica(state.caches[c].shards[s].copies[k], of: state.caches[c].shards[s].id, restarting: node) }
        for (s, k) in held {
            try await requireReplica(state.caches[c].shards[s].copies[k], of: state.caches[c].shards[s].id, restarting: node)
            await shutDown(state.caches[c].shards[s].copies[k])
        }
        let spec = state.caches[c].nodes[n]
        try await host.provision(NodeSpec(id: node, version: newVersion, capacity: spec.capacity),
                                 runnable: state.runnable(for: newVersion), directory: ClusterState.nodeDirectory(root: directory, node: node))
        for (s, k) in held {
            let copy = state.caches[c].shards[s].copies[k]
            let restarted = try await startCopy(shard: state.caches[c].shards[s].id, node: node, version: newVersion,
                                                ports: (copy.port, copy.busPort))
            state.caches[c].shards[s].copies[k] = restarted
            try persist()
        }
        for (s, _) in held { _ = try await waitForSync(of: state.caches[c].shards[s].id, on: node, in: cache) }
        state.caches[c].nodes[n].version = newVersion
        try persist()
    }

    /// Throws unless `copy` answers as a replica.
    private func requireReplica(_ copy: ClusterState.Copy, of shard: String, restarting node: String) async throws {
        let role: ReplicationInfo
        do {
            role = try await driver.replication(copy.port, timeout: .seconds(2))
        } catch {
            throw BackendError(.roleUnknown, "refusing to restart '\(node)': its copy of \(shard) does not say whether it is a replica (\(error))")
        }
        if role.isPrimary {
            throw BackendError(.nodeHoldsPrimary, "refusing to restart '\(node)': it is primary of \(shard)")
        }
    }
}

import MaintenanceKit

extension SimulatedBackend {
    public func createNodes(_ nodes: [NodeSpec], in cache: String) async throws {
        _ = try existing(cache)
        // The VMs are provisioned in parallel: the step takes as long as the slowest.
        let took = nodes.map { _ in sample(config.timing.vmCreation, cache: cache) }.max() ?? .zero
        try await clock.sleep(for: took)
        try apply(cache) { topology in
            for node in nodes where topology.node(node.id).map({ $0.lifecycle == .deleted }) ?? true {
                // The id of a deleted VM may name a new one.
                topology.nodes.removeAll { $0.id == node.id }
                topology.nodes.append(NodeState(id: node.id, version: node.version, capacity: node.capacity, lifecycle: .active))
            }
        }
    }

    public func electLeader(_ node: String, in cache: String) async throws {
        guard try existing(cache).node(node)?.lifecycle == .active else {
            throw BackendError(.nodeNotActive, "cannot make '\(node)' leader of '\(cache)': it is not an active node")
        }
        try await clock.sleep(for: sample(config.timing.leaderElection, cache: cache))
        try apply(cache) { $0.leader = node }
    }

    public func drainNode(_ node: String, in cache: String) async throws {
        try await clock.sleep(for: sample(config.timing.drain, cache: cache))
        try apply(cache) { topology in
            guard let index = topology.nodes.firstIndex(where: { $0.id == node }) else {
                throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(node)'")
            }
            topology.nodes[index].lifecycle = .draining
        }
    }

    public func restoreNode(_ node: String, in cache: String) async throws {
        try await clock.sleep(for: sample(config.timing.drain, cache: cache))
        try apply(cache) { topology in
            guard let index = topology.nodes.firstIndex(where: { $0.id == node }) else {
                throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(node)'")
            }
            guard topology.nodes[index].lifecycle != .deleted else {
                throw BackendError(.nodeDeleted, "cannot restore '\(node)' of '\(cache)': it is deleted")
            }
            topology.nodes[index].lifecycle = .active
        }
    }

    public func addReplica(of shard: String, on node: String, in cache: String) async throws {
        let topology = try existing(cache)
        guard topology.node(node)?.lifecycle == .active else {
            throw BackendError(.nodeNotActive, "cannot place a copy of \(shard) on '\(node)': it is not an active node")
        }
        guard let state = topology.shard(shard), let source = state.primaryNode else {
            throw BackendError(.noPrimary, "shard '\(shard)' of '\(cache)' has no primary to replicate from")
        }
        try await clock.sleep(for: sample(config.timing.copyStart, cache: cache))
        syncing[cache, default: []].insert(SyncKey(shard: shard, source: source, destination: node, sizeMB: state.sizeMB))
        do {
            try apply(cache) { topology in
                guard let index = topology.shards.firstIndex(where: { $0.id == shard }) else { return }
                if !topology.shards[index].hasCopy(on: node) {
                    topology.shards[index].copies.append(ShardCopy(node: node, role: .replica, inSync: false))
                }
            }
        } catch {
            syncing[cache]?.remove(SyncKey(shard: shard, source: source, destination: node, sizeMB: state.sizeMB))
            throw error
        }
    }

    public func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        let topology = try existing(cache)
        guard let state = topology.shard(shard), let copy = state.copies.first(where: { $0.node == node }) else {
            throw BackendError(.noCopy, "shard '\(shard)' has no copy on '\(node)'")
        }
        guard topology.liveNodes.contains(where: { $0.id == node }) else {
            throw BackendError(.nodeDown, "the copy of \(shard) on '\(node)' cannot sync: the node is down")
        }
        let megabytes = state.sizeMB
        guard !copy.inSync else { return SyncReport(shard: shard, node: node, megabytes: 0, duration: .zero) }
        let slowdown = slowdown(between: state.primaryNode ?? node, and: node, in: cache)
        let took = sample(config.timing.sync(megabytes: megabytes), cache: cache) * slowdown
        try await clock.sleep(for: took)
        syncing[cache] = syncing[cache, default: []].filter { !($0.shard == shard && $0.destination == node) }
        try apply(cache) { topology in
            if let at = Self.copyIndex(of: shard, on: node, in: topology) { topology.shards[at.shard].copies[at.copy].inSync = true }
        }
        return SyncReport(shard: shard, node: node, megabytes: megabytes, duration: took)
    }

    public func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport {
        let topology = try existing(cache)
        guard let state = topology.shard(shard), let from = state.primaryNode else {
            throw BackendError(.noPrimary, "shard '\(shard)' of '\(cache)' has no single primary")
        }
        guard let target = state.copies.first(where: { $0.node == node }), target.role == .replica, target.inSync,
              topology.liveNodes.contains(where: { $0.id == node }) else {
            throw BackendError(.replicaNotReady, "the copy of \(shard) on '\(node)' is not an in-sync replica; refusing a planned failover")
        }
        // Writes pause on the old primary, offsets match, the replica is promoted: the gap
        // clients see stays under the seed's one second.
        let gap = min(sample(config.timing.plannedFailover, cache: cache), .milliseconds(999))
        try await clock.sleep(for: gap)
        try apply(cache) { topology in
            guard let index = topology.shards.firstIndex(where: { $0.id == shard }) else { return }
            for copy in topology.shards[index].copies.indices {
                topology.shards[index].copies[copy].role = topology.shards[index].copies[copy].node == node ? .primary : .replica
            }
        }
        return FailoverReport(cache: cache, shard: shard, kind: .planned, from: from, to: node, unavailable: gap)
    }

    public func removeCopy(of shard: String, from node: String, in cache: String) async throws {
        guard try existing(cache).shard(shard)?.hasCopy(on: node) == true else { return }
        try await clock.sleep(for: sample(config.timing.copyRemoval, cache: cache))
        try apply(cache) { topology in
            guard let at = Self.copyIndex(of: shard, on: node, in: topology) else { return }
            if topology.shards[at.shard].copies[at.copy].role == .primary {
                throw record(InvariantViolation(1, cache: cache, "refused to remove the primary copy of '\(shard)' on '\(node)'"))
            }
            topology.shards[at.shard].copies.remove(at: at.copy)
        }
    }

    public func removeNode(_ node: String, in cache: String) async throws {
        try await clock.sleep(for: sample(config.timing.nodeRemoval, cache: cache))
        try setLifecycle(.removed, of: [node], in: cache)
    }

    public func deleteNodes(_ nodes: [String], in cache: String) async throws {
        try await clock.sleep(for: sample(config.timing.vmDeletion, cache: cache))
        try setLifecycle(.deleted, of: nodes, in: cache)
    }

    public func restartNode(_ node: String, version: String?, in cache: String) async throws {
        let topology = try existing(cache)
        guard topology.node(node) != nil else { throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(node)'") }
        guard topology.liveNodes.contains(where: { $0.id == node }) else {
            throw BackendError(.nodeDown, "cannot restart '\(node)': the node is down")
        }
        let held = topology.shards(on: node)
        guard !held.contains(where: { $0.primaryNode == node }) else {
            throw BackendError(.nodeHoldsPrimary, "refusing to restart '\(node)': it holds a primary")
        }
        replacing[cache, default: []].formUnion(held.map(\.id))
        defer { replacing[cache]?.subtract(held.map(\.id)) }
        try apply(cache) { topology in
            for shard in held {
                if let at = Self.copyIndex(of: shard.id, on: node, in: topology) { topology.shards[at.shard].copies[at.copy].inSync = false }
            }
        }
        let largest = held.map(\.sizeMB).max() ?? 0
        let back = { (topology: inout CacheTopology) in
            for shard in held {
                if let at = Self.copyIndex(of: shard.id, on: node, in: topology) { topology.shards[at.shard].copies[at.copy].inSync = true }
            }
        }
        do {
            try await clock.sleep(for: sample(config.timing.restart, cache: cache) + sample(config.timing.sync(megabytes: largest), cache: cache))
        } catch {
            // Interrupted (a time limit): the node still comes back and resyncs, at its old version.
            try apply(cache, back)
            throw error
        }
        try apply(cache) { topology in
            if let version, let index = topology.nodes.firstIndex(where: { $0.id == node }) { topology.nodes[index].version = version }
            back(&topology)
        }
    }

    /// Takes nodes out of the cluster; refused (invariant 4 or 6) while a node holds a copy or the leadership.
    private func setLifecycle(_ lifecycle: NodeLifecycle, of nodes: [String], in cache: String) throws {
        try apply(cache) { topology in
            for node in nodes {
                guard let index = topology.nodes.firstIndex(where: { $0.id == node }) else {
                    throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(node)'")
                }
                let held = topology.shards(on: node)
                if let shard = held.first {
                    let only = shard.copies.filter(\.inSync).count == 1
                    throw record(InvariantViolation(4, cache: cache,
                        "refused to \(lifecycle == .deleted ? "delete" : "remove") node '\(node)': it still holds "
                            + "\(only ? "the only up-to-date copy" : "a copy") of shard '\(shard.id)'"
                            + (held.count > 1 ? " and \(held.count - 1) more shards" : "")))
                }
                topology.nodes[index].lifecycle = lifecycle
            }
        }
    }
}

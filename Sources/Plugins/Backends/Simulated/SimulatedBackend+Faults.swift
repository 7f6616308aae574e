import MaintenanceKit

/// Faults in the simulated fleet, and its model of the failure detector: a node that stops
/// answering for the detection time is declared down, and the first in-sync replica of each
/// primary it held is promoted. Every fault is possible here.
extension SimulatedBackend: FaultInjecting {
    public nonisolated var injectableFaults: Set<FaultKind> { Set(FaultKind.allCases) }

    public func inject(_ fault: Fault, in cache: String) async throws -> String {
        let topology = try existing(cache)
        let node = try Self.node(hit: fault.target, in: topology)
        let duration = fault.duration ?? .zero
        switch fault.kind {
        case .kill:
            try await declareDown(node, in: cache, returning: nil)
        case .pause, .partition:
            // A stall shorter than the detection time is not a failure: nothing changes.
            guard duration >= config.detection.downAfter else { break }
            let lifecycle = topology.node(node)?.lifecycle ?? .active
            try await declareDown(node, in: cache, returning: NodeReturn(node: node, at: clock.now + duration, lifecycle: lifecycle))
        case .slow:
            slowLinks[cache, default: [:]][node] = SlowLink(factor: fault.slowdown ?? 10, until: clock.now + duration)
        }
        eventCount += 1
        return node
    }

    public nonisolated func unplannedFailures(in cache: String) async throws -> [UnplannedFailure] {
        pendingFailures.withLock { $0.removeValue(forKey: cache) } ?? []
    }

    /// How much slower a full sync between `source` and `destination` runs now.
    func slowdown(between source: String, and destination: String, in cache: String) -> Double {
        let now = clock.now
        return [source, destination].compactMap { slowLinks[cache]?[$0] }.filter { $0.until > now }.map(\.factor).max() ?? 1
    }

    /// Brings back the paused or partitioned nodes whose time is up: their copies rejoin as
    /// replicas of the current primaries and catch up from the replication backlog.
    func settleReturns(in cache: String) {
        let now = clock.now
        guard var topology = caches[cache], let due = returns[cache]?.filter({ $0.at <= now }), !due.isEmpty else { return }
        returns[cache]?.removeAll { $0.at <= now }
        for back in due {
            guard let index = topology.nodes.firstIndex(where: { $0.id == back.node }), topology.nodes[index].lifecycle == .failed else { continue }
            topology.nodes[index].lifecycle = back.lifecycle
            for shard in topology.shards.indices {
                for copy in topology.shards[shard].copies.indices where topology.shards[shard].copies[copy].node == back.node {
                    let hasPrimary = topology.shards[shard].copies.contains { $0.role == .primary && $0.node != back.node }
                    if hasPrimary { topology.shards[shard].copies[copy].role = .replica }
                    topology.shards[shard].copies[copy].inSync = true
                }
            }
            if topology.leader == nil { topology.leader = back.node }
        }
        caches[cache] = topology
        eventCount += 1
    }

    /// The failure detector declares `node` down after its detection time; its primaries are
    /// promoted elsewhere. The state changes whatever the invariants say (a failure cannot be
    /// refused); what they say is recorded.
    private func declareDown(_ node: String, in cache: String, returning: NodeReturn?) async throws {
        let detection = config.detection.downAfter + sample(config.detection.heartbeat / 2, cache: cache)
        let promotion = sample(config.timing.promotion, cache: cache)
        try await clock.sleep(for: detection + promotion)
        var topology = try existing(cache)
        guard let index = topology.nodes.firstIndex(where: { $0.id == node }), topology.liveNodes.contains(where: { $0.id == node }) else { return }
        topology.nodes[index].lifecycle = .failed
        syncing[cache] = syncing[cache]?.filter { $0.destination != node }
        var failovers: [FailoverReport] = []
        var lost: [String] = []
        let live = Set(topology.liveNodes.map(\.id))
        for shard in topology.shards.indices {
            let copies = topology.shards[shard].copies
            guard let dead = copies.firstIndex(where: { $0.node == node && $0.role == .primary }) else { continue }
            guard let promoted = copies.firstIndex(where: { $0.role == .replica && $0.inSync && live.contains($0.node) }) else {
                lost.append(topology.shards[shard].id)
                continue
            }
            topology.shards[shard].copies[dead].role = .replica
            topology.shards[shard].copies[dead].inSync = false
            topology.shards[shard].copies[promoted].role = .primary
            failovers.append(FailoverReport(cache: cache, shard: topology.shards[shard].id, kind: .unplanned, from: node,
                                            to: copies[promoted].node, unavailable: detection + promotion,
                                            detection: detection, promotion: promotion))
        }
        var newLeader: String?
        if topology.leader == node {
            newLeader = topology.liveNodes.first { $0.lifecycle == .active }?.id
            topology.leader = newLeader
        }
        for violation in Invariants.check(topology, replacing: shardsBeingReplaced(in: cache)) + headroomViolations(in: topology) {
            var violation = violation
            violation.message += " (after node '\(node)' failed)"
            violations.append(violation)
        }
        caches[cache] = topology
        if let returning { returns[cache, default: []].append(returning) }
        let failure = UnplannedFailure(node: node, detectedAt: clock.now - promotion, failovers: failovers, lostShards: lost, newLeader: newLeader)
        pendingFailures.withLock { $0[cache, default: []].append(failure) }
    }

    private static func node(hit target: FaultTarget, in topology: CacheTopology) throws -> String {
        let node: String
        switch target {
        case let .node(id): node = id
        case let .primaryOf(shard):
            guard let primary = topology.shard(shard)?.primaryNode else {
                throw BackendError(.noPrimary, "shard '\(shard)' of '\(topology.id)' has no single primary to hit")
            }
            node = primary
        }
        guard topology.liveNodes.contains(where: { $0.id == node }) else {
            throw BackendError(.nodeNotLive, "node '\(node)' of '\(topology.id)' is not up in the cluster")
        }
        return node
    }
}

/// The structural invariants of DESIGN.md that a cache's topology can be checked against at
/// any moment, by any backend: the simulation after every event, the runtime after every cache.
public enum Invariants {
    /// The invariants' short names, by number.
    public static let names: [Int: String] = [
        1: "one primary per shard",
        2: "no split brain",
        3: "copies on distinct nodes",
        4: "no node removed with the only up-to-date copy",
        5: "minimum replicas",
        6: "exactly one leader",
        7: "one cache per resource group and region",
        8: "headroom",
    ]

    /// Checks invariants 1–6 on `topology`.
    ///
    /// Copies on a failed node are lost: they are not counted, and their shard may have that
    /// many replicas fewer (a failure degrades a shard; it does not break the rules by itself).
    /// A shard whose primary was lost with no in-sync replica left breaks invariant 1.
    /// - Parameters:
    ///   - topology: The cache to check.
    ///   - failoverWindow: Shards inside a failover window, allowed to lack a primary.
    ///   - replacing: Shards with a copy being replaced, allowed one replica fewer.
    /// - Returns: Every violation, empty when the cache is healthy.
    public static func check(_ topology: CacheTopology, failoverWindow: Set<String> = [],
                             replacing: Set<String> = []) -> [InvariantViolation] {
        var violations: [InvariantViolation] = []
        var live = Set<String>(minimumCapacity: topology.nodes.count), failed = Set<String>()
        for node in topology.nodes {
            switch node.lifecycle {
            case .removed, .deleted: break
            case .failed: failed.insert(node.id)
            default: live.insert(node.id)
            }
        }
        // Runs after every simulated event: plain loops, no allocation unless something is wrong.
        for shard in topology.shards {
            let copies = shard.copies
            var primaryCount = 0, syncedReplicas = 0, lost = 0, duplicated = false
            var lostPrimary: String?
            for (index, copy) in copies.enumerated() {
                for other in copies[(index + 1)...] where other.node == copy.node { duplicated = true }
                if !failed.isEmpty, failed.contains(copy.node) {
                    lost += 1
                    if copy.role == .primary { lostPrimary = copy.node }
                    continue
                }
                let isLive = live.contains(copy.node)
                if copy.role == .primary { primaryCount += 1 } else if copy.inSync, isLive { syncedReplicas += 1 }
                if !isLive {
                    violations.append(InvariantViolation(4, cache: topology.id, about: "shard \(shard.id) on \(copy.node)",
                        "shard '\(shard.id)' has a copy on node '\(copy.node)', which is no longer in the cluster"))
                }
            }
            if primaryCount > 1 {
                violations.append(InvariantViolation(2, cache: topology.id, about: "shard \(shard.id)",
                    "shard '\(shard.id)' has \(primaryCount) primaries (\(shard.primaries.map(\.node).joined(separator: ", ")))"))
            } else if primaryCount == 0, failoverWindow.isEmpty || !failoverWindow.contains(shard.id) {
                let cause = lostPrimary.map { ": its primary was on failed node '\($0)' and no in-sync replica was left to promote" } ?? ""
                violations.append(InvariantViolation(1, cache: topology.id, about: "shard \(shard.id)", "shard '\(shard.id)' has no primary\(cause)"))
            }
            if duplicated {
                violations.append(InvariantViolation(3, cache: topology.id, about: "shard \(shard.id)", "shard '\(shard.id)' has two copies on one node"))
            }
            let required = topology.minReplicas - (!replacing.isEmpty && replacing.contains(shard.id) ? 1 : 0) - lost
            if syncedReplicas < required {
                violations.append(InvariantViolation(5, cache: topology.id, about: "shard \(shard.id)",
                    "shard '\(shard.id)' has \(syncedReplicas) in-sync replicas, fewer than \(topology.minReplicas)"))
            }
        }
        if let leader = topology.leader {
            if !live.contains(leader) {
                violations.append(InvariantViolation(6, cache: topology.id, about: "leader", "leader '\(leader)' is not a live node"))
            }
        } else {
            violations.append(InvariantViolation(6, cache: topology.id, about: "leader", "the cache has no leader"))
        }
        return violations
    }
}

/// What a plan was made against: the fleet as the planner saw it (the inventory file for the
/// simulation, the live cluster's own view for a backend that drives real servers).
///
/// A plan applied later is only safe on that same fleet: ``differences(from:caches:)`` names
/// every change that would make it unsafe.
public struct PlanBasis: Sendable {
    /// Where the fleet was read from: `inventory` for the inventory file, else the live
    /// backend's id (`process`, `container`).
    public var source: String
    /// The fleet.
    public var inventory: Inventory

    public init(source: String, inventory: Inventory) {
        self.source = source
        self.inventory = inventory
    }

    /// Every way `live` differs from this basis in the caches named, in words; empty when the
    /// plan still fits the fleet.
    public func differences(from live: Inventory, caches: [String]) -> [String] {
        caches.flatMap { id -> [String] in
            guard let planned = inventory.cache(id) else { return ["cache '\(id)' is not in the plan's fleet"] }
            guard let now = live.cache(id) else { return ["cache '\(id)' is gone"] }
            return Self.differences(planned, now).map { "cache '\(id)': \($0)" }
        }
    }

    private static func differences(_ planned: CacheSpec, _ now: CacheSpec) -> [String] {
        var found: [String] = []
        let nowNodes = Dictionary(now.nodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let plannedNodes = Dictionary(planned.nodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for node in planned.nodes {
            guard let current = nowNodes[node.id] else {
                found.append("node '\(node.id)' is gone")
                continue
            }
            if current.version != node.version {
                found.append("node '\(node.id)' runs \(current.version), planned at \(node.version)")
            }
            if current.capacity != node.capacity { found.append("node '\(node.id)' changed size") }
        }
        for node in now.nodes where plannedNodes[node.id] == nil { found.append("node '\(node.id)' is new") }
        if planned.leader != now.leader { found.append("the leader is '\(now.leader)', planned with '\(planned.leader)'") }
        let nowShards = Dictionary(now.shards.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for shard in planned.shards {
            guard let current = nowShards[shard.id] else {
                found.append("shard '\(shard.id)' is gone")
                continue
            }
            if current.primary != shard.primary {
                found.append("shard '\(shard.id)' has its primary on '\(current.primary)', planned on '\(shard.primary)'")
            }
            if Set(current.replicas) != Set(shard.replicas) {
                found.append("shard '\(shard.id)' has replicas on \(Self.list(current.replicas)), planned on \(Self.list(shard.replicas))")
            }
        }
        let plannedShards = Set(planned.shards.map(\.id))
        for shard in now.shards where !plannedShards.contains(shard.id) { found.append("shard '\(shard.id)' is new") }
        return found
    }

    private static func list(_ nodes: [String]) -> String {
        nodes.isEmpty ? "no node" : nodes.sorted().map { "'\($0)'" }.joined(separator: ", ")
    }
}

/// In a plan file the fleet carries a digest, to tell two bases apart at a glance and to refuse
/// a fleet edited after planning; it is computed when the plan is written, not when it is made.
extension PlanBasis: Codable {
    enum CodingKeys: String, CodingKey {
        case source, inventory, digest
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(String.self, forKey: .source)
        inventory = try container.decode(Inventory.self, forKey: .inventory)
        let digest = try container.decode(String.self, forKey: .digest)
        guard digest == Digest.of(inventory) else {
            throw DecodingError.dataCorruptedError(
                forKey: .digest, in: container,
                debugDescription: "the fleet the plan was made against was changed after planning (its digest does not match); make the plan again")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(inventory, forKey: .inventory)
        try container.encode(Digest.of(inventory), forKey: .digest)
    }
}

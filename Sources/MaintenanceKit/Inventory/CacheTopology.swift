/// Where a node is in its life.
public enum NodeLifecycle: String, Sendable, Codable, Hashable {
    case provisioning, active, draining, removed, deleted
    /// Declared down by the failure detector: its copies are lost; it stays a member of the
    /// cluster until a step removes it.
    case failed
}

/// The role of one copy of a shard.
public enum CopyRole: String, Sendable, Codable, Hashable {
    case primary, replica
}

/// A node as a backend sees it now.
public struct NodeState: Sendable, Codable, Hashable {
    public var id: String
    public var version: String
    public var capacity: Capacity
    public var lifecycle: NodeLifecycle

    public init(id: String, version: String, capacity: Capacity, lifecycle: NodeLifecycle = .active) {
        self.id = id
        self.version = version
        self.capacity = capacity
        self.lifecycle = lifecycle
    }
}

/// One copy of a shard on one node.
public struct ShardCopy: Sendable, Codable, Hashable {
    public var node: String
    public var role: CopyRole
    /// Whether the copy holds every write its primary acknowledged (always true for a primary).
    public var inSync: Bool

    public init(node: String, role: CopyRole, inSync: Bool = true) {
        self.node = node
        self.role = role
        self.inSync = inSync
    }
}

/// A shard and where its copies are.
public struct ShardState: Sendable, Codable, Hashable {
    public var id: String
    public var sizeMB: Double
    public var copies: [ShardCopy]

    public init(id: String, sizeMB: Double, copies: [ShardCopy]) {
        self.id = id
        self.sizeMB = sizeMB
        self.copies = copies
    }

    /// The copies that are primaries (exactly one when healthy).
    public var primaries: [ShardCopy] { copies.filter { $0.role == .primary } }
    /// The node of the single primary, if there is exactly one.
    public var primaryNode: String? { primaries.count == 1 ? primaries[0].node : nil }
    /// Whether a copy lives on `node`.
    public func hasCopy(on node: String) -> Bool { copies.contains { $0.node == node } }
}

/// The state of one cache: nodes, shards, roles and the leader.
public struct CacheTopology: Sendable, Codable, Hashable {
    public var id: String
    public var placement: Placement
    public var leader: String?
    public var minReplicas: Int
    public var nodes: [NodeState]
    public var shards: [ShardState]

    public init(id: String, placement: Placement, leader: String?, minReplicas: Int, nodes: [NodeState], shards: [ShardState]) {
        self.id = id
        self.placement = placement
        self.leader = leader
        self.minReplicas = minReplicas
        self.nodes = nodes
        self.shards = shards
    }

    /// The topology an inventory describes: every node active, every replica in sync.
    public init(_ spec: CacheSpec) {
        self.init(
            id: spec.id, placement: spec.placement, leader: spec.leader, minReplicas: spec.minReplicas,
            nodes: spec.nodes.map { NodeState(id: $0.id, version: $0.version, capacity: $0.capacity) },
            shards: spec.shards.map { shard in
                ShardState(id: shard.id, sizeMB: shard.sizeMB,
                           copies: [ShardCopy(node: shard.primary, role: .primary)]
                               + shard.replicas.map { ShardCopy(node: $0, role: .replica) })
            })
    }

    /// The node with `id`.
    public func node(_ id: String) -> NodeState? { nodes.first { $0.id == id } }
    /// The shard with `id`.
    public func shard(_ id: String) -> ShardState? { shards.first { $0.id == id } }
    /// Nodes that are part of the cluster and up (not removed, deleted or failed).
    public var liveNodes: [NodeState] { nodes.filter { $0.lifecycle != .removed && $0.lifecycle != .deleted && $0.lifecycle != .failed } }
    /// The shards with a copy on `node`.
    public func shards(on node: String) -> [ShardState] { shards.filter { $0.hasCopy(on: node) } }
}

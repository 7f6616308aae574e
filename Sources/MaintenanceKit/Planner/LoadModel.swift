/// Projected load of a node: memory of its copies, CPU by role, and what replication adds.
///
/// The seed notes that replication raises memory and CPU on both ends; the planner checks
/// every step against each node's capacity (invariant 8) with this model.
public struct LoadModel: Sendable, Codable, Hashable {
    /// CPU cores a primary copy uses.
    public var primaryCPU: Double = 1.0
    /// CPU cores a replica copy uses.
    public var replicaCPU: Double = 0.25
    /// Extra CPU on each end of a full sync.
    public var syncCPU: Double = 0.5
    /// Extra memory on the sending node during a full sync, as a share of the shard's size
    /// (fork copy-on-write and the replication buffer).
    public var syncMemoryShare: Double = 0.3

    public init() {}

    /// The steady load of `node` in `topology`.
    public func load(of node: String, in topology: CacheTopology) -> NodeLoad {
        var load = NodeLoad()
        for shard in topology.shards {
            for copy in shard.copies where copy.node == node {
                load.memoryMB += shard.sizeMB
                load.cpus += copy.role == .primary ? primaryCPU : replicaCPU
            }
        }
        return load
    }

    /// The steady load of every node with a copy in `topology`, in one pass over the copies.
    public func loads(in topology: CacheTopology) -> [String: NodeLoad] {
        var loads = [String: NodeLoad](minimumCapacity: topology.nodes.count)
        for shard in topology.shards {
            for copy in shard.copies {
                // One lookup per copy: this runs after every simulated event.
                loads[copy.node, default: NodeLoad()].add(memoryMB: shard.sizeMB, cpus: copy.role == .primary ? primaryCPU : replicaCPU)
            }
        }
        return loads
    }

    /// What a full sync of `sizeMB` adds on the sending and the receiving node.
    public func syncOverhead(sizeMB: Double) -> (source: NodeLoad, destination: NodeLoad) {
        (NodeLoad(memoryMB: sizeMB * syncMemoryShare, cpus: syncCPU), NodeLoad(memoryMB: 0, cpus: syncCPU))
    }
}

/// Memory and CPU on one node.
public struct NodeLoad: Sendable, Codable, Hashable {
    public var memoryMB: Double = 0
    public var cpus: Double = 0

    public init(memoryMB: Double = 0, cpus: Double = 0) {
        self.memoryMB = memoryMB
        self.cpus = cpus
    }

    /// Adds memory and CPU to this load.
    public mutating func add(memoryMB: Double, cpus: Double) {
        self.memoryMB += memoryMB
        self.cpus += cpus
    }

    public static func + (lhs: NodeLoad, rhs: NodeLoad) -> NodeLoad {
        NodeLoad(memoryMB: lhs.memoryMB + rhs.memoryMB, cpus: lhs.cpus + rhs.cpus)
    }

    /// Whether this load fits `capacity`.
    public func fits(_ capacity: Capacity) -> Bool {
        memoryMB <= capacity.memoryMB + 1e-9 && cpus <= capacity.cpus + 1e-9
    }
}

/// The shape of a generated fleet: how many caches, nodes per cache and shards per cache.
///
/// Every cache is alike, so the work per node is the same at every size and a linear
/// implementation shows a flat per-node cost.
struct FleetShape: Sendable {
    /// How many caches the fleet has.
    var caches: Int
    /// Nodes (VMs) in each cache.
    var nodesPerCache: Int = 10
    /// Shards in each cache.
    var shardsPerCache: Int = 50
    /// Replicas of each shard, besides its primary.
    var replicasPerShard: Int = 1
    /// Resource groups the caches are spread over.
    var resourceGroups: Int = 5
    /// Regions the caches are spread over.
    var regions: Int = 4

    /// Every node of the fleet.
    var nodes: Int { caches * nodesPerCache }
    /// Every shard copy (primaries and replicas) of the fleet.
    var shardCopies: Int { caches * shardsPerCache * (1 + replicasPerShard) }

    /// A fleet of `nodes` nodes, ten per cache.
    static func withNodes(_ nodes: Int) -> FleetShape {
        FleetShape(caches: max(1, nodes / 10))
    }
}

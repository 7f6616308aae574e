import MaintenanceKit

/// A cache shape of the `--shapes` sweep: `nodes` nodes, `shards` shards of `replicas`
/// replicas each, every node holding the same number of copies (primaries spread one per
/// node in turn, replicas on the nodes after the primary's).
struct ClusterShape: Sendable, CustomStringConvertible {
    var nodes: Int
    var shards: Int
    var replicas: Int

    /// The issue's sweep: 3, 6 and 12 nodes with one replica per shard and two copies per
    /// node, and the 5-node cache of 10 shards with 2 replicas each (30 servers).
    static let sweep = [
        ClusterShape(nodes: 3, shards: 3, replicas: 1), ClusterShape(nodes: 6, shards: 6, replicas: 1),
        ClusterShape(nodes: 12, shards: 12, replicas: 1), ClusterShape(nodes: 5, shards: 10, replicas: 2),
    ]

    /// Every server of the cache.
    var servers: Int { shards * (1 + replicas) }

    var description: String { "\(nodes) nodes, \(shards)×\(1 + replicas)" }

    /// The inventory of one cache of this shape, at the version `local-cluster.yaml` runs.
    func inventoryText(version: String = "7.0.15") -> String {
        var text = "caches:\n  - id: local\n    resource_group: rg-local\n    region: loopback\n    leader: node-1\n"
        text += "    min_replicas: \(replicas)\n    nodes:\n"
        for node in 1...nodes {
            text += "      - { id: node-\(node), version: \"\(version)\", capacity: { memory_mb: 4096, cpus: 8 } }\n"
        }
        text += "    shards:\n"
        for shard in 0..<shards {
            let primary = shard % nodes
            let others = (1...replicas).map { "node-\((primary + $0) % nodes + 1)" }
            text += "      - { id: s\(shard + 1), primary: node-\(primary + 1), replicas: [\(others.joined(separator: ", "))], size_mb: 64 }\n"
        }
        return text
    }

    /// The inventory, loaded.
    /// - Throws: `BenchmarkFailure` when it does not load (a bug of this generator).
    func inventory() throws -> Inventory {
        do {
            return try InventoryLoader.load(SourceFile(path: "shape-\(nodes)x\(shards)x\(replicas).yaml", text: inventoryText()))
        } catch {
            throw BenchmarkFailure("the inventory of \(self) does not load: \(FleetBenchmark.firstLines(of: error))")
        }
    }
}

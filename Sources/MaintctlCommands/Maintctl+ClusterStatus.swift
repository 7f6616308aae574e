import ArgumentParser
import MaintenanceKit
import ProcessBackend

extension Maintctl {
    struct ClusterStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show the live cluster: nodes, versions, shards, roles, ports, offsets, health.")

        @OptionGroup var live: LiveClusterOptions

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let cluster = try await live.open()
            let rows = await cluster.status()
            let nodes = await cluster.endpointStatus()
            await cluster.close()
            switch format {
            case .json:
                try Output.json(LiveClusterStatus(nodes: nodes, copies: rows))
            case .text:
                Output.line("cache          node                 lifecycle  endpoint               pid      health")
                for node in nodes {
                    Output.line([node.cache.padded(14), node.node.padded(20), node.lifecycle.padded(10), (node.endpoint ?? "-").padded(22),
                                 node.pid.map(String.init).map { $0.padded(8) } ?? "-".padded(8),
                                 Self.health(of: node)].joined(separator: " "))
                }
                Output.line("")
                Output.line("cache          node                 version    shard  role     port   pid      offset       health")
                for row in rows {
                    Output.line([row.cache.padded(14), row.node.padded(20), row.version.padded(10), row.shard.padded(6),
                                 row.role.padded(8), String(row.port).padded(6), String(row.pid).padded(8),
                                 String(row.offset).padded(12), row.healthy ? "ok" : "UNHEALTHY"].joined(separator: " "))
                }
            }
            let endpointDown = nodes.contains { $0.endpoint != nil && !$0.running && ($0.lifecycle == "active" || $0.lifecycle == "draining") }
            if rows.contains(where: { !$0.healthy }) || endpointDown { throw Exit.failed }
        }
    }
}

extension Maintctl.ClusterStatus {
    /// An endpoint's health, with the addresses it took over or the hand-off it made.
    static func health(of node: NodeEndpointStatus) -> String {
        guard node.endpoint != nil else { return "no endpoint" }
        guard node.running else { return "ENDPOINT DOWN" }
        if node.addresses.isEmpty { return "ok, handed its address on, closing" }
        let adopted = node.addresses.dropFirst()
        return adopted.isEmpty ? "ok" : "ok, also serves \(adopted.joined(separator: ", "))"
    }
}

/// `cluster status --format json`: every node with its endpoint, and every shard copy.
struct LiveClusterStatus: Encodable {
    var nodes: [NodeEndpointStatus]
    var copies: [CopyStatus]
}

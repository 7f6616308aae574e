import ArgumentParser
import MaintenanceKit

extension Maintctl {
    struct ClusterStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show the live cluster: nodes, versions, shards, roles, ports, offsets, health.")

        @OptionGroup var live: LiveClusterOptions

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let cluster = try live.open()
            let rows = await cluster.status()
            await cluster.close()
            switch format {
            case .json:
                try Output.json(rows)
            case .text:
                Output.line("cache          node                 version    shard  role     port   pid      offset       health")
                for row in rows {
                    Output.line([row.cache.padded(14), row.node.padded(20), row.version.padded(10), row.shard.padded(6),
                                 row.role.padded(8), String(row.port).padded(6), String(row.pid).padded(8),
                                 String(row.offset).padded(12), row.healthy ? "ok" : "UNHEALTHY"].joined(separator: " "))
                }
            }
            if rows.contains(where: { !$0.healthy }) { throw Exit.failed }
        }
    }
}

import ArgumentParser
import Logging
import ProcessBackend

extension Maintctl {
    struct ClusterStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show the live cluster: nodes, versions, shards, roles, ports, offsets, health.")

        @Option(help: "State directory given to 'cluster up'.")
        var state: String

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let cluster: ProcessBackend
            do {
                cluster = try ProcessBackend(directory: state, logger: Logger(label: "maintctl"))
            } catch {
                Output.error("maintctl: \(error)")
                throw Exit.invalidInput
            }
            let rows = await cluster.status()
            await cluster.close()
            switch format {
            case .json:
                try Output.json(rows)
            case .text:
                Output.line("cache          node                 version    shard  role     port   pid      offset       health")
                for row in rows {
                    Output.line([row.cache.padding(14), row.node.padding(20), row.version.padding(10), row.shard.padding(6),
                                 row.role.padding(8), String(row.port).padding(6), String(row.pid).padding(8),
                                 String(row.offset).padding(12), row.healthy ? "ok" : "UNHEALTHY"].joined(separator: " "))
                }
            }
            if rows.contains(where: { !$0.healthy }) { throw Exit.failed }
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

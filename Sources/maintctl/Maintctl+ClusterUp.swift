import ArgumentParser
import Logging
import MaintenanceKit
import ProcessBackend

extension Maintctl {
    struct ClusterUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Start a Redis Cluster of local redis-server processes for each cache of an inventory.")

        @Argument(help: "The inventory file.")
        var inventory: String

        @Option(help: "Backend: process.")
        var backend: String = ProcessBackend.descriptor.id

        @Option(help: "State directory; the processes' directories and state.json go here.")
        var state: String

        @Option(help: "The redis-server binary for versions without --binary.")
        var redisServer: String = "redis-server"

        @Option(help: "VERSION=PATH: the redis-server binary that runs nodes at VERSION (repeatable).")
        var binary: [String] = []

        func validate() throws {
            guard backend == ProcessBackend.descriptor.id else {
                throw ValidationError("cluster up supports --backend process")
            }
            for entry in binary where !entry.contains("=") {
                throw ValidationError("--binary takes VERSION=PATH, got '\(entry)'")
            }
        }

        func run() async throws {
            let loaded: Inventory
            do {
                loaded = try InventoryLoader.load(path: inventory)
            } catch {
                Output.printDiagnostics(error)
                throw Exit.invalidInput
            }
            var binaries = ["default": redisServer]
            for entry in binary {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                binaries[parts[0]] = parts[1]
            }
            var logger = Logger(label: "maintctl")
            logger.logLevel = .warning
            do {
                let cluster = try await ProcessBackend.up(loaded, in: state, binaries: binaries, logger: logger)
                for row in await cluster.status() {
                    Output.line("\(row.cache) \(row.node) \(row.shard) \(row.role) 127.0.0.1:\(row.port) slots \(row.slots)")
                }
                Output.line("cluster_state:ok — connect with: redis-cli -c -p \(await cluster.status().first?.port ?? 0)")
                await cluster.close()
            } catch {
                Output.error("maintctl: cluster up failed: \(error)")
                throw Exit.failed
            }
        }
    }
}

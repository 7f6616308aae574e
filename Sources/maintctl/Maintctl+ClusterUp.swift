import ArgumentParser
import ContainerBackend
import Logging
import MaintenanceKit
import ProcessBackend

extension Maintctl {
    struct ClusterUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Start a Redis Cluster for each cache of an inventory: local redis-server processes, or one container per node.")

        @Argument(help: "The inventory file.")
        var inventory: String

        @Option(help: "Backend: process (local redis-server processes) or container (one container per node).")
        var backend: String = ProcessBackend.descriptor.id

        @Option(help: "State directory; the nodes' directories and state.json go here.")
        var state: String

        @Option(help: "The redis-server binary for versions without --binary (process), or that maintctl builds its own images from (container).")
        var redisServer: String = "redis-server"

        @Option(help: "VERSION=PATH: the redis-server binary that runs nodes at VERSION (process backend; repeatable).")
        var binary: [String] = []

        @Option(help: "VERSION=IMAGE: the image nodes at VERSION run (container backend; repeatable; 'default=REPO:{version}' for the others). Unset: maintctl/redis:{version}, built from --redis-server when missing.")
        var image: [String] = []

        func validate() throws {
            switch backend {
            case ProcessBackend.descriptor.id:
                guard image.isEmpty else { throw ValidationError("--image is for --backend container; the process backend takes --binary VERSION=PATH") }
            case ContainerBackend.descriptor.id:
                guard binary.isEmpty else { throw ValidationError("--binary is for --backend process; the container backend takes --image VERSION=IMAGE") }
            default:
                throw ValidationError("cluster up supports --backend process or container, not '\(backend)'")
            }
            for entry in binary + image where !entry.contains("=") || entry.hasPrefix("=") || entry.hasSuffix("=") {
                throw ValidationError("--binary and --image take VERSION=VALUE, got '\(entry)'")
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
            var logger = Logger(label: "maintctl")
            logger.logLevel = .warning
            do {
                let cluster: ProcessBackend
                if backend == ContainerBackend.descriptor.id {
                    cluster = try await ContainerBackend.up(loaded, in: state, images: Self.pairs(image), redisServer: redisServer,
                                                            engine: try ContainerEngine.fromEnvironment(), logger: logger)
                } else {
                    cluster = try await ProcessBackend.up(loaded, in: state, binaries: Self.pairs(binary).merging(["default": redisServer]) { given, _ in given },
                                                          logger: logger)
                }
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

        /// `KEY=VALUE` entries as a dictionary (a later entry wins).
        static func pairs(_ entries: [String]) -> [String: String] {
            var pairs: [String: String] = [:]
            for entry in entries {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                pairs[parts[0]] = parts[1]
            }
            return pairs
        }
    }
}

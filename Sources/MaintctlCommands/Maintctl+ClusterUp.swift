import ArgumentParser
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

        @Option(help: "VERSION=PATH: the redis-server binary that runs nodes at VERSION (process and ssh backends; on ssh, a path on the machines; repeatable).")
        var binary: [String] = []

        @Option(help: "VERSION=IMAGE: the image nodes at VERSION run (container backend; repeatable; 'default=REPO:{version}' for the others). Unset: maintctl/redis:{version}, built from --redis-server when missing.")
        var image: [String] = []

        func validate() throws {
            guard let artifact = (try? Registry.factory(backend))?.clusterArtifact else {
                let ids = Registry.factories.filter { $0.clusterArtifact != nil }.map(\.descriptor.id)
                let able = ids.count > 1 ? ids.dropLast().joined(separator: ", ") + " or " + ids[ids.count - 1] : ids.joined()
                throw ValidationError("cluster up supports --backend \(able), not '\(backend)'")
            }
            for (flag, given) in [(ClusterArtifact.binary, binary), (.image, image)] where !given.isEmpty && flag != artifact {
                let owner = Registry.factories.first { $0.clusterArtifact == flag }?.descriptor.id ?? "?"
                throw ValidationError("--\(flag.rawValue) is for --backend \(owner); the \(backend) backend takes "
                                      + "--\(artifact.rawValue) VERSION=\(artifact == .binary ? "PATH" : "IMAGE")")
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
            do {
                let request = ClusterRequest(inventory: loaded, state: state, redisServer: redisServer,
                                             artifacts: Self.pairs(binary + image), logger: Registry.logger(verbose: false))
                for line in try await Registry.factory(backend).upCluster(request) { Output.line(line) }
            } catch {
                Output.error("maintctl: cluster up failed: \(error)")
                throw Exit.failed
            }
        }

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

import ArgumentParser
import Foundation
import MaintenanceKit
import ProcessBackend

extension Maintctl {
    struct ClusterAdopt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adopt",
            abstract: "Take over a running Redis Cluster that maintctl did not start, so that playbooks can patch it.",
            discussion: """
                Reads the cluster HOST:PORT belongs to (CLUSTER NODES, INFO server, each server's pid and \
                working directory), groups its servers into nodes, writes the state that run, status, probe and \
                cluster down use, and starts an endpoint per node. The servers are not touched. Refused, with \
                nothing written, for a cluster with a failing server, unserved or moving slots, or a shard over \
                several slot ranges.
                """)

        @Argument(help: "HOST:PORT of one server of the cluster (a loopback address for --backend process).")
        var server: String

        @Option(help: "Backend: process (servers of this machine).")
        var backend: String = ProcessBackend.descriptor.id

        @Option(help: "State directory to write; it must not hold a cluster.")
        var state: String

        @Option(name: .customLong("group-by"), help: "How servers form nodes: directory (servers working in one directory), parent (directories with one parent), server (each its own node).")
        var groupBy: String = NodeGrouping.directory.rawValue

        @Option(help: "The cache's id.")
        var cache: String = "adopted"

        @Option(help: "The cache's resource group.")
        var resourceGroup: String = "adopted"

        @Option(help: "The cache's region.")
        var region: String = "local"

        @Option(help: "VERSION=PATH: the redis-server binary that runs nodes at VERSION (repeatable); by default the binary the servers run.")
        var binary: [String] = []

        @Option(help: "The environment variable that holds the servers' password.")
        var passwordEnv: String?

        @Option(help: "The file that holds the servers' password.")
        var passwordFile: String?

        @Option(name: .shortAndLong, help: "Write the cluster as an inventory to this file (it must not exist).")
        var output: String?

        func validate() throws {
            guard backend == ProcessBackend.descriptor.id else {
                throw ValidationError("cluster adopt supports --backend process (servers of this machine), not '\(backend)'")
            }
            guard NodeGrouping(rawValue: groupBy) != nil else {
                throw ValidationError("--group-by takes \(NodeGrouping.allCases.map(\.rawValue).joined(separator: ", ")), not '\(groupBy)'")
            }
            guard address != nil else { throw ValidationError("give the server as HOST:PORT, not '\(server)'") }
            guard passwordEnv == nil || passwordFile == nil else { throw ValidationError("give --password-env or --password-file, not both") }
            for entry in binary where !entry.contains("=") || entry.hasPrefix("=") || entry.hasSuffix("=") {
                throw ValidationError("--binary takes VERSION=PATH, got '\(entry)'")
            }
        }

        /// The server's host and port.
        private var address: (host: String, port: Int)? {
            guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]), (1...65535).contains(port) else { return nil }
            return (String(server[..<colon]), port)
        }

        func run() async throws {
            guard let (host, port) = address else { throw Exit.invalidInput }
            guard host == "127.0.0.1" || host == "localhost" else {
                Output.error("maintctl: cluster adopt: the process backend adopts servers of this machine on loopback (127.0.0.1), not \(host)")
                throw Exit.invalidInput
            }
            if let output, FileManager.default.fileExists(atPath: output) {
                Output.error("maintctl: cluster adopt: \(output) exists; name a new file for the inventory")
                throw Exit.invalidInput
            }
            let reference = passwordEnv.map { SecretReference(env: $0) } ?? passwordFile.map { SecretReference(file: $0) }
            let request = AdoptionRequest(seedPort: port, cache: cache, resourceGroup: resourceGroup, region: region,
                                          grouping: NodeGrouping(rawValue: groupBy) ?? .directory,
                                          binaries: ClusterUp.pairs(binary), password: reference)
            let adopted: Inventory
            do {
                adopted = try await ProcessBackend.adopt(request, in: state, logger: Registry.logger(verbose: false)).inventory
            } catch {
                Output.error("maintctl: cluster adopt: \(error)")
                throw Exit.failed
            }
            let spec = adopted.caches[0]
            Output.line("adopted cache \(spec.id) from \(host):\(port): \(spec.nodes.count) nodes, \(spec.shards.count) shards; state in \(state)")
            for node in spec.nodes {
                let held = spec.shards.flatMap { shard in
                    (shard.primary == node.id ? [shard.id + " primary"] : []) + (shard.replicas.contains(node.id) ? [shard.id + " replica"] : [])
                }
                Output.line("  \(node.id) (\(node.version)): \(held.joined(separator: ", "))")
            }
            guard let output else { return }
            do {
                let text = try adopted.yamlText(header: [
                    "The cluster of \(host):\(port) as maintctl adopted it (maintctl cluster adopt).",
                    "Its servers keep running outside maintctl's state; 'maintctl cluster down' leaves them running.",
                ])
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                    throw CocoaError(.fileWriteUnknown)
                }
                Output.line("wrote the inventory to \(output)")
            } catch {
                Output.error("maintctl: cluster adopt: cannot write \(output): \(error) (the cluster is adopted; the state is in \(state))")
                throw Exit.failed
            }
        }
    }
}

import ArgumentParser
import Foundation
import MaintenanceKit
import ProcessBackend
import RedisWire
import SSHBackend

extension Maintctl {
    struct ClusterAdopt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adopt",
            abstract: "Take over a running Redis Cluster that maintctl did not start, so that playbooks can patch it.",
            discussion: """
                Reads the cluster HOST:PORT belongs to (CLUSTER NODES, INFO server, each server's pid and \
                working directory on its machine), groups its servers into nodes, writes the state that run, \
                status, probe and cluster down use, and starts an endpoint per node (process backend). The servers \
                are not touched. With --backend ssh each machine the servers announce is a node, reached over \
                SSH; --spare-host names machines for new nodes. Refused, with nothing written, for a cluster with \
                a failing server, unserved or moving slots, or a shard over several slot ranges.
                """)

        @Argument(help: "HOST:PORT of one server of the cluster (a loopback address for --backend process, a machine's for ssh).")
        var server: String

        @Option(help: "Backend: process (servers of this machine) or ssh (servers on machines reached over SSH).")
        var backend: String = ProcessBackend.descriptor.id

        @Option(help: "State directory to write; it must not hold a cluster.")
        var state: String

        @Option(name: .customLong("group-by"), help: "How servers form nodes: directory (servers working in one directory), parent (directories with one parent), server (each its own node), machine (servers on one machine; the default for ssh).")
        var groupBy: String?

        @Option(help: "ssh: the user to log in to the machines as (default: OpenSSH's choice).")
        var sshUser: String?

        @Option(help: "ssh: the SSH port of the machines.")
        var sshPort: Int?

        @Option(help: "ssh: the private key to log in with.")
        var identityFile: String?

        @Option(help: "ssh: the known_hosts file that holds the machines' host keys (default: the user's).")
        var knownHostsFile: String?

        @Option(help: "ssh: a machine new nodes may be made on (repeatable).")
        var spareHost: [String] = []

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
            guard backend == ProcessBackend.descriptor.id || backend == SSHHost.descriptor.id else {
                throw ValidationError("cluster adopt supports --backend process (servers of this machine) or ssh (servers on machines), not '\(backend)'")
            }
            if let groupBy, NodeGrouping(rawValue: groupBy) == nil {
                throw ValidationError("--group-by takes \(NodeGrouping.allCases.map(\.rawValue).joined(separator: ", ")), not '\(groupBy)'")
            }
            let sshOnly = [("--ssh-user", sshUser != nil), ("--ssh-port", sshPort != nil), ("--identity-file", identityFile != nil),
                           ("--known-hosts-file", knownHostsFile != nil), ("--spare-host", !spareHost.isEmpty)]
            if backend != SSHHost.descriptor.id, let (flag, _) = sshOnly.first(where: \.1) {
                throw ValidationError("\(flag) is for --backend ssh")
            }
            if let sshPort, !(1...65535).contains(sshPort) { throw ValidationError("--ssh-port takes 1 to 65535, not \(sshPort)") }
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
            let onMachines = backend == SSHHost.descriptor.id
            guard onMachines || host == "127.0.0.1" || host == "localhost" else {
                Output.error("maintctl: cluster adopt: the process backend adopts servers of this machine on loopback (127.0.0.1), not \(host)")
                throw Exit.invalidInput
            }
            if let output, FileManager.default.fileExists(atPath: output) {
                Output.error("maintctl: cluster adopt: \(output) exists; name a new file for the inventory")
                throw Exit.invalidInput
            }
            let reference = passwordEnv.map { SecretReference(env: $0) } ?? passwordFile.map { SecretReference(file: $0) }
            let request = AdoptionRequest(seed: ServerAddress(host: onMachines ? host : "127.0.0.1", port: port), cache: cache,
                                          resourceGroup: resourceGroup, region: region,
                                          grouping: groupBy.flatMap(NodeGrouping.init(rawValue:)) ?? (onMachines ? .machine : .directory),
                                          binaries: ClusterUp.pairs(binary), password: reference)
            let adopted: Inventory
            do {
                let logger = Registry.logger(verbose: false)
                if onMachines {
                    let login = SSHLogin(user: sshUser, port: sshPort, identityFile: identityFile, knownHostsFile: knownHostsFile)
                    adopted = try await SSHBackend.adopt(request, login: login == SSHLogin() ? nil : login, spares: spareHost,
                                                         in: state, logger: logger).inventory
                } else {
                    adopted = try await ProcessBackend.adopt(request, in: state, logger: logger).inventory
                }
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

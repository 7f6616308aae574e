import Foundation
import LiveClusterSupport
import Testing

/// The ssh backend through the CLI: nodes on machines reached with OpenSSH — network
/// namespaces with an `sshd` each, made by the test (``SSHHosts``) — and maintctl and its
/// probe running in a namespace of their own, so nothing is routed from this machine's.
@Suite(.serialized) struct SSHCommandLineTests {
    struct Copy: Decodable {
        var node: String
        var version: String
        var host: String
        var role: String
        var pid: Int32
        var healthy: Bool
    }

    struct Status: Decodable {
        var copies: [Copy]
    }

    /// Runs `maintctl arguments…` in the controller namespace.
    func maintctl(_ hosts: SSHHosts, _ arguments: [String]) async throws -> CLI.Result {
        try await CLI.run(program: "/usr/sbin/ip", ["netns", "exec", hosts.controller, CLI.binary] + arguments)
    }

    /// The pids of the `redis-server`s running in a host's namespace.
    func servers(in namespace: String) async throws -> [Int32] {
        let listed = try await CLI.run(program: "/usr/sbin/ip", ["netns", "pids", namespace])
        return listed.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }.filter { pid in
            let title = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
            return title.contains("redis-server")
        }
    }

    /// An inventory of one cache of 3 nodes (3 shards, one replica each) on the first 3
    /// machines, the other 3 spare, with a password in a file.
    func writeInventory(_ hosts: SSHHosts) throws -> String {
        let password = hosts.directory + "/password"
        try "s3cret-\(UUID().uuidString)".write(toFile: password, atomically: true, encoding: .utf8)
        let login = "{ user: root, identity_file: \(hosts.identityFile), known_hosts_file: \(hosts.knownHosts) }"
        let nodes = (0..<3).map {
            "      - { id: node-\($0 + 1), version: \"7.0\", capacity: { memory_mb: 4096, cpus: 4 }, host: \(SSHHosts.address($0)), ssh: \(login) }"
        }
        let spares = (3..<6).map { "      - { host: \(SSHHosts.address($0)), ssh: \(login) }" }
        let text = """
            caches:
              - id: remote
                resource_group: rg
                region: r1
                leader: node-1
                password: { file: \(password) }
                nodes:
            \(nodes.joined(separator: "\n"))
                spare_hosts:
            \(spares.joined(separator: "\n"))
                shards:
                  - { id: s1, primary: node-1, replicas: [node-2], size_mb: 10 }
                  - { id: s2, primary: node-2, replicas: [node-3], size_mb: 10 }
                  - { id: s3, primary: node-3, replicas: [node-1], size_mb: 10 }

            """
        let path = hosts.directory + "/inventory.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: SSHHosts.isAvailable, "needs root, ip, sshd and ssh"))
    func rollingPatchOnSSHMachinesUnderTheProbeLosesNothing() async throws {
        try await SSHHosts.with(hosts: 6) { hosts in
            let inventory = try writeInventory(hosts)
            let state = hosts.directory + "/state"
            let up = try await maintctl(hosts, ["cluster", "up", inventory, "--backend", "ssh", "--state", state])
            try #require(up.status == 0, "\(up.stderr)")
            #expect(up.stdout.contains("cluster_state:ok"), "\(up.stdout)")
            do {
                // The servers run on the nodes' machines, listening on their addresses.
                let before = try JSONDecoder().decode(Status.self, from: Data(try await maintctl(hosts, ["cluster", "status", "--state", state, "--format", "json"]).stdout.utf8))
                #expect(before.copies.count == 6 && before.copies.allSatisfy(\.healthy))
                #expect(Set(before.copies.map(\.host)) == Set((0..<3).map(SSHHosts.address)))
                for index in 0..<3 { #expect(try await servers(in: hosts.namespaces[index]).count == 2, "machine \(index) runs its 2 copies") }
                // The password stays off every command line.
                let secret = try String(contentsOfFile: hosts.directory + "/password", encoding: .utf8)
                for namespace in hosts.namespaces {
                    for pid in try await servers(in: namespace) {
                        let title = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
                        #expect(!title.contains(secret))
                    }
                }

                let run = try await maintctl(hosts, ["run", "Playbooks/rolling-patch.yaml", "--backend", "ssh",
                                                     "--state", state, "--probe", "--format", "json"])
                #expect(run.status == 0, "\(run.stderr)")
                let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
                #expect(summary["status"] as? String == "succeeded")
                #expect(summary["backend"] as? String == "ssh")
                #expect(summary["acknowledged_writes_lost"] as? Int == 0, "\(run.stdout)")
                let impact = try #require(summary["client_impact"] as? [String: Any])
                #expect((impact["writes_acknowledged"] as? Int ?? 0) > 0)
                #expect(impact["acknowledged_writes_unverified"] as? Int == 0)
                let failovers = try #require(summary["failovers"] as? [[String: Any]])
                #expect(failovers.compactMap { $0["shard"] as? String }.sorted() == ["s1", "s2", "s3"])

                // Every copy on a spare machine at the new version, one primary per shard; the
                // old machines run nothing and hold no node directory.
                let after = try JSONDecoder().decode(Status.self, from: Data(try await maintctl(hosts, ["cluster", "status", "--state", state, "--format", "json"]).stdout.utf8))
                #expect(after.copies.count == 6 && after.copies.allSatisfy { $0.healthy && $0.version == "7.2.5" })
                #expect(Set(after.copies.map(\.host)) == Set((3..<6).map(SSHHosts.address)))
                #expect(after.copies.filter { $0.role == "primary" }.count == 3)
                for index in 0..<3 { #expect(try await servers(in: hosts.namespaces[index]).isEmpty, "old machine \(index) runs no server") }
                for index in 3..<6 { #expect(try await servers(in: hosts.namespaces[index]).count == 2, "spare machine \(index) runs its 2 copies") }
            } catch {
                _ = try? await maintctl(hosts, ["cluster", "down", "--state", state])
                throw error
            }
            let down = try await maintctl(hosts, ["cluster", "down", "--state", state])
            #expect(down.status == 0, "\(down.stderr)")
            for namespace in hosts.namespaces { #expect(try await servers(in: namespace).isEmpty, "no server left in \(namespace)") }
        }
    }

    @Test(.enabled(if: SSHHosts.isAvailable, "needs root, ip, sshd and ssh"))
    func aCacheWithoutAPasswordIsRefusedBeforeAnythingStarts() async throws {
        try await SSHHosts.with(hosts: 3) { hosts in
            let inventory = try writeInventory(hosts)
            let text = try String(contentsOfFile: inventory, encoding: .utf8)
            try text.split(separator: "\n").filter { !$0.contains("password:") }.joined(separator: "\n").write(toFile: inventory, atomically: true, encoding: .utf8)
            let state = hosts.directory + "/state"
            let up = try await maintctl(hosts, ["cluster", "up", inventory, "--backend", "ssh", "--state", state])
            #expect(up.status != 0)
            #expect(up.stderr.contains("has no password"), "\(up.stderr)")
            #expect(!FileManager.default.fileExists(atPath: state + "/state.json"))
            for namespace in hosts.namespaces { #expect(try await servers(in: namespace).isEmpty) }
        }
    }
}

import Foundation
import ProcessBackend
import Testing

/// `maintctl cluster adopt`: a Redis Cluster that someone else made with `redis-cli --cluster
/// create`, its servers in directories of their own, taken over and patched like one of ours.
@Suite(.serialized) struct AdoptCommandLineTests {
    let commands = ProcessCommandLineTests()

    @Test func anAdoptedClusterIsPatchedUnderTheProbeAndLosesNothing() async throws {
        try await SelfMadeCluster.with { made in
            let state = CLI.scratch + "maintctl-adopted-\(UUID().uuidString)"
            let inventory = try CLI.temporaryDirectory("adopt") + "/inventory.yaml"
            let adopt = try await CLI.run(["cluster", "adopt", "127.0.0.1:\(made.primaries[1])", "--backend", "process", "--state", state,
                                           "--group-by", "parent", "--cache", "orders", "-o", inventory])
            try #require(adopt.status == 0, "\(adopt.stderr)")
            #expect(adopt.stdout.contains("adopted cache orders from 127.0.0.1:\(made.primaries[1]): 3 nodes, 3 shards"), "\(adopt.stdout)")
            for host in ["host-a", "host-b", "host-c"] { #expect(adopt.stdout.contains("  \(host) (7.0.15): "), "\(adopt.stdout)") }

            // The inventory it wrote is one maintctl and a JSON Schema validator accept.
            let schema = try await SchemaCommandLineTests.schema("inventory")
            let valid = try await SchemaCommandLineTests.validate([inventory], against: schema)
            #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
            let planned = try await CLI.run(["plan", "Playbooks/rolling-patch.yaml", "--inventory", inventory])
            #expect(planned.status == 0, "\(planned.stderr)")

            // Data written before, through an endpoint maintctl now runs for the adopted cluster.
            let before = try await commands.fullStatus(state)
            #expect(before.copies.count == 6 && before.copies.allSatisfy(\.healthy), "\(before.copies)")
            let endpoint = try #require(before.nodes.first { $0.node == "host-b" }?.endpoint)
            let keys = (1...300).map { "adopted:\($0)" }
            let port = String(endpoint.split(separator: ":").last ?? "")
            let mset = try await CLI.run(program: "redis-cli", ["-p", port, "MSET"] + keys.flatMap { [$0, "v-" + $0] })
            #expect(mset.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "OK", "\(mset.stdout)\(mset.stderr)")

            let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state,
                                            "--probe", "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
            #expect(summary["status"] as? String == "succeeded")
            #expect(summary["acknowledged_writes_lost"] as? Int == 0, "\(result.stdout)")
            #expect((summary["failovers"] as? [[String: Any]])?.count == 3)

            // Every server runs the new version on a new node; the adopted servers were retired.
            try await commands.expectConsistent(state)
            let after = try await commands.fullStatus(state)
            #expect(after.copies.count == 6 && after.copies.allSatisfy { $0.version == "7.2.5" && $0.node.hasSuffix("-7.2.5") }, "\(after.copies)")
            #expect(made.pids().allSatisfy { !ProcessCommandLineTests.alive($0) }, "the adopted servers are retired")
            let newEndpoint = try #require(after.nodes.first { $0.running && $0.endpoint != nil }?.endpoint)
            let mget = try await CLI.run(program: "redis-cli", ["-p", String(newEndpoint.split(separator: ":").last ?? ""), "MGET"] + keys)
            let values = mget.stdout.split(separator: "\n").map(String.init)
            #expect(values == keys.map { "v-" + $0 }, "\(values.filter { !$0.hasPrefix("v-") }.count) of 300 keys lost: \(mget.stderr)")

            let down = try await CLI.run(["cluster", "down", "--state", state])
            #expect(down.status == 0, "\(down.stderr)")
            #expect(ProcessCommandLineTests.processes(runningIn: state).isEmpty && !FileManager.default.fileExists(atPath: state))
        }
    }

    @Test func clusterDownLeavesAdoptedServersServingUnlessTold() async throws {
        try await SelfMadeCluster.with { made in
            let state = CLI.scratch + "maintctl-adopted-\(UUID().uuidString)"
            // Refused before anything is written: a port nobody serves, a taken inventory path.
            let nobody = try await CLI.run(["cluster", "adopt", "127.0.0.1:\(try FreePort.find())", "--state", state])
            #expect(nobody.status == 1 && nobody.stderr.contains("cannot read the server at 127.0.0.1:"), "\(nobody.stderr)")
            let taken = try CLI.temporaryFile("caches: []\n", name: "inventory.yaml")
            let refused = try await CLI.run(["cluster", "adopt", "127.0.0.1:\(made.primaries[0])", "--state", state, "-o", taken])
            #expect(refused.status == 2 && refused.stderr.contains("exists"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: state))

            // Each server a node of its own (its own directory).
            let adopt = try await CLI.run(["cluster", "adopt", "127.0.0.1:\(made.primaries[0])", "--state", state])
            try #require(adopt.status == 0, "\(adopt.stderr)")
            #expect(adopt.stdout.contains(": 6 nodes, 3 shards"), "\(adopt.stdout)")
            let again = try await CLI.run(["cluster", "adopt", "127.0.0.1:\(made.primaries[0])", "--state", state])
            #expect(again.status == 1 && again.stderr.contains("already holds a cluster"), "\(again.stderr)")
            let endpoints = try await commands.fullStatus(state).nodes.compactMap(\.pid)
            #expect(endpoints.count == 6)

            let down = try await CLI.run(["cluster", "down", "--state", state])
            #expect(down.status == 0, "\(down.stderr)")
            #expect(endpoints.allSatisfy { !ProcessCommandLineTests.alive($0) }, "maintctl's endpoints stop")
            #expect(made.pids().allSatisfy(ProcessCommandLineTests.alive), "the adopted servers serve on")
            let info = try await CLI.run(program: "redis-cli", ["-p", "\(made.primaries[2])", "CLUSTER", "INFO"])
            #expect(info.stdout.contains("cluster_state:ok"), "\(info.stdout)")

            // Adopted again, and this time stopped with them.
            #expect(try await CLI.run(["cluster", "adopt", "127.0.0.1:\(made.primaries[0])", "--state", state]).status == 0)
            let all = try await CLI.run(["cluster", "down", "--state", state, "--adopted-too"])
            #expect(all.status == 0, "\(all.stderr)")
            #expect(made.pids().allSatisfy { !ProcessCommandLineTests.alive($0) }, "--adopted-too stops the adopted servers")
        }
    }
}

/// Six redis-servers made the way an operator makes a cluster by hand: each in its own
/// directory under `host-a`, `host-b` and `host-c` (a primary and a replica of another
/// primary each), joined by `redis-cli --cluster create` and `--cluster add-node`.
struct SelfMadeCluster: Sendable {
    let root: String
    /// The primaries' ports, host-a's first; `replicas[i]` replicates `primaries[(i + 2) % 3]`
    /// (the replica on host-a replicates host-c's primary).
    let primaries: [Int]
    let replicas: [Int]

    /// The servers' pids, read from their pid files once they started.
    var serverPIDs: [Int32] = []

    /// The servers' pids (as they started; a pid is reused only long after its server is gone).
    func pids() -> [Int32] { serverPIDs }

    func directory(of port: Int) -> String {
        let index = (primaries.firstIndex(of: port) ?? replicas.firstIndex(of: port)) ?? 0
        return "\(root)/host-\(["a", "b", "c"][index])/\(port)"
    }

    /// Makes the cluster, runs `body`, and always stops every server by its pid and removes it.
    static func with(_ body: (SelfMadeCluster) async throws -> Void) async throws {
        let root = CLI.scratch + "maintctl-self-made-\(UUID().uuidString)"
        let ports = try (0..<6).map { _ in try FreePort.find() }
        var made = SelfMadeCluster(root: root, primaries: Array(ports[0..<3]), replicas: Array(ports[3..<6]))
        do {
            try await made.start()
            made.serverPIDs = (made.primaries + made.replicas).compactMap { port in
                (try? String(contentsOfFile: made.directory(of: port) + "/redis.pid", encoding: .utf8))
                    .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            try #require(made.serverPIDs.count == 6, "every server wrote its pid file")
            try await body(made)
        } catch {
            await made.stop()
            throw error
        }
        await made.stop()
    }

    private func start() async throws {
        for port in primaries + replicas {
            let directory = directory(of: port)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let started = try await CLI.run(program: "redis-server", [
                "--port", "\(port)", "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-port", "\(try FreePort.find())",
                "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000", "--dir", directory,
                "--daemonize", "yes", "--pidfile", directory + "/redis.pid", "--logfile", directory + "/redis.log",
                "--save", "", "--appendonly", "no",
            ])
            try #require(started.status == 0, "\(started.stderr)")
        }
        try await waitUntil("every server answers") {
            for port in primaries + replicas where try await CLI.run(program: "redis-cli", ["-p", "\(port)", "PING"]).stdout.hasPrefix("PONG") == false {
                return false
            }
            return true
        }
        let create = try await CLI.run(program: "redis-cli", ["--cluster", "create"] + primaries.map { "127.0.0.1:\($0)" } + ["--cluster-yes"])
        try #require(create.status == 0, "\(create.stdout)\(create.stderr)")
        for (index, replica) in replicas.enumerated() {
            let primary = primaries[(index + 2) % 3]
            let id = try await CLI.run(program: "redis-cli", ["-p", "\(primary)", "CLUSTER", "MYID"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let add = try await CLI.run(program: "redis-cli", ["--cluster", "add-node", "127.0.0.1:\(replica)", "127.0.0.1:\(primary)",
                                                               "--cluster-slave", "--cluster-master-id", id])
            try #require(add.status == 0, "\(add.stdout)\(add.stderr)")
        }
        try await waitUntil("every replica is linked and every server says cluster_state:ok") {
            for port in replicas {
                let info = try await CLI.run(program: "redis-cli", ["-p", "\(port)", "INFO", "replication"]).stdout
                guard info.contains("master_link_status:up") else { return false }
            }
            for port in primaries + replicas {
                guard try await CLI.run(program: "redis-cli", ["-p", "\(port)", "CLUSTER", "INFO"]).stdout.contains("cluster_state:ok") else { return false }
            }
            return true
        }
    }

    private func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<300 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIError("the self-made cluster: not within 30 s: \(what)")
    }

    /// Stops every server by the pid it wrote (SIGTERM, then SIGKILL after 5 s) and removes the
    /// directories. A server that failed to start was never recorded: its directory tells it.
    func stop() async {
        let started = serverPIDs.isEmpty ? ProcessCommandLineTests.processes(runningIn: root) : serverPIDs
        for pid in started where ProcessCommandLineTests.alive(pid) {
            kill(pid, SIGTERM)
            for _ in 0..<100 where ProcessCommandLineTests.alive(pid) { try? await Task.sleep(for: .milliseconds(50)) }
            if ProcessCommandLineTests.alive(pid) { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

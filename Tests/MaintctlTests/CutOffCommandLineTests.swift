import Foundation
import ProcessBackend
import RedisWire
import Testing

/// The endpoints as the cluster's failure detector when one of them is cut off from one server
/// for real: a cluster in a network namespace of the test's own, the leader's endpoint's
/// traffic to one primary dropped by iptables while every other endpoint still reaches it.
@Suite(.enabled(if: NetworkNamespace.isAvailable, "needs root, ip and iptables (scripts/test installs them)"))
struct CutOffCommandLineTests {
    @Test func aLeaderCutOffFromOnePrimaryFailsNothingOver() async throws {
        let namespace = try await NetworkNamespace.make()
        let state = CLI.scratch + "maintctl-cutoff-\(UUID().uuidString)"
        var pids: [Int32] = []
        var cgroup: ProcessCgroup?
        do {
            let up = try await namespace.maintctl(["cluster", "up", "Playbooks/inventories/local-cluster.yaml", "--backend", "process", "--state", state])
            try #require(up.status == 0, "\(up.stderr)")
            let status = try await Self.status(state, in: namespace)
            pids = status.copies.map(\.pid) + status.nodes.compactMap(\.pid)

            // The endpoint that coordinates healing, and a primary on another node.
            var leader: ProcessCommandLineTests.Node?
            for node in status.nodes where try await Self.control(state, node.node)["coordinates"] as? Bool == true { leader = node }
            let coordinator = try #require(leader, "one endpoint coordinates: \(status.nodes)")
            let witness = try #require(status.nodes.first { $0.node != coordinator.node })
            let victim = try #require(status.copies.first { $0.role == "primary" && $0.node != coordinator.node })
            let victimPort = victim.port

            // Its connections to the victim are dropped both ways, and no new one of its gets
            // through. Where cgroup2 is not available, no new connection of anyone's gets through
            // (an endpoint that makes its connection again, after 1.6 s unanswered on a loaded
            // machine, is then cut off too).
            let leaderPid = try #require(coordinator.pid)
            cgroup = try ProcessCgroup.isolating(leaderPid)
            let sockets = try await namespace.run("/usr/bin/ss", ["-tnpH", "state", "established", "dst", "127.0.0.1:\(victimPort)"])
            let leaderPorts = sockets.stdout.split(separator: "\n")
                .filter { $0.contains("pid=\(leaderPid),") }
                .compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first?.split(separator: ":").last }
            try #require(!leaderPorts.isEmpty, "the leader's endpoint is connected to the victim: \(sockets.stdout)")
            try await namespace.drop((cgroup.map { ["-m", "cgroup", "--path", $0.path] } ?? []) + ["-p", "tcp", "--dport", "\(victimPort)", "--syn"])
            for port in leaderPorts {
                try await namespace.drop(["-p", "tcp", "--sport", String(port), "--dport", "\(victimPort)"])
                try await namespace.drop(["-p", "tcp", "--sport", "\(victimPort)", "--dport", String(port)])
            }

            // Silent to the leader well past down_after (800 ms), heard by the others all along.
            var longest = 0
            for _ in 0..<40 where longest < 3_000 {
                try await Task.sleep(for: .milliseconds(100))
                let silences = try await Self.silences(heardBy: coordinator, in: namespace)
                longest = silences["127.0.0.1:\(victimPort)"] ?? 0
            }
            #expect(longest >= 3_000, "the leader's endpoint heard from the victim \(longest) ms ago")
            let heard = try await Self.silences(heardBy: witness, in: namespace)["127.0.0.1:\(victimPort)"]
            #expect((heard ?? .max) < 1_000, "\(witness.node)'s endpoint hears the victim: silent \(heard ?? -1) ms")

            for node in status.nodes {
                #expect(try await Self.control(state, node.node)["promotions"] as? Int == 0, "\(node.node)'s endpoint promoted nothing")
            }
            // Reachable again, the leader hears it again.
            try await namespace.allowEverything()
            var silence = Int.max
            for _ in 0..<100 where silence > 500 {
                try await Task.sleep(for: .milliseconds(100))
                silence = try await Self.silences(heardBy: coordinator, in: namespace)["127.0.0.1:\(victimPort)"] ?? .max
            }
            #expect(silence <= 500, "the leader hears the victim again")
            // (No one can open a connection to the victim while it is cut off: its role is read now.)
            let role = try await namespace.run("/usr/bin/redis-cli", ["-p", "\(victimPort)", "ROLE"])
            #expect(role.stdout.hasPrefix("master"), "the victim is still primary: \(role.stdout)")
            let copies = try await Self.status(state, in: namespace).copies
            #expect(copies.filter { $0.role == "primary" }.count == Set(copies.map(\.shard)).count)
        } catch {
            Issue.record(error)
        }
        let down = try await namespace.maintctl(["cluster", "down", "--state", state])
        cgroup?.remove()
        #expect(down.status == 0, "\(down.stderr)")
        #expect(pids.allSatisfy { !ProcessCommandLineTests.alive($0) }, "no process of the cluster is left")
        await namespace.remove()
    }

    static func status(_ state: String, in namespace: NetworkNamespace) async throws -> ProcessCommandLineTests.Status {
        let result = try await namespace.maintctl(["cluster", "status", "--state", state, "--format", "json"])
        return try JSONDecoder().decode(ProcessCommandLineTests.Status.self, from: Data(result.stdout.utf8))
    }

    /// The endpoint's answer to STATUS on its control socket (a unix socket: reached from outside the namespace).
    static func control(_ state: String, _ node: String) async throws -> [String: Any] {
        let connection = try await RedisConnection.connect(unixSocket: EndpointProcess.controlSocket(in: state + "/nodes/" + node))
        let answer = try? await connection.send(["STATUS"])
        await connection.close()
        guard case let .bulkString(bytes?) = answer else { return [:] }
        return try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
    }

    /// How long each server has not answered `node`'s endpoint, in milliseconds (`MAINTCTL.HEALTH`
    /// asked by redis-py inside the namespace).
    static func silences(heardBy node: ProcessCommandLineTests.Node, in namespace: NetworkNamespace) async throws -> [String: Int] {
        let endpoint = try #require(node.endpoint)
        let script = """
            import json, sys, redis
            host, port = sys.argv[1].rsplit(":", 1)
            reply = redis.Redis(host=host, port=int(port), socket_timeout=5).execute_command("MAINTCTL.HEALTH")
            print(json.dumps({server.decode(): silence for server, silence in reply}))
            """
        let result = try await namespace.run(CLI.python, ["-c", script, endpoint])
        try #require(result.status == 0, "MAINTCTL.HEALTH: \(result.stderr)")
        return try JSONDecoder().decode([String: Int].self, from: Data(result.stdout.utf8))
    }
}

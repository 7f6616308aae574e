import Foundation
import LiveClusterSupport
import ProcessBackend
import RedisWire
import Testing

/// The endpoints fail a dead primary over with no maintctl running: the leader node's endpoint
/// (or, while it does not answer, the next in line) acts once a quorum of endpoints finds the
/// primary silent for `down_after` (800 ms) and it leaves a last `PING` unanswered. Redis's
/// own failover would take 6–8 s here (`cluster-node-timeout` 5000).
@Suite(.serialized) struct SelfHealingTests {
    /// The STATUS of `node`'s endpoint, as JSON.
    static func status(_ cluster: LiveCluster, _ node: String) async throws -> [String: Any] {
        let connection = try await RedisConnection.connect(unixSocket: EndpointProcess.controlSocket(in: cluster.directory + "/nodes/" + node))
        let answer = try await connection.send(["STATUS"])
        await connection.close()
        return try #require(try JSONSerialization.jsonObject(with: Data((answer.string ?? "").utf8)) as? [String: Any])
    }

    static func role(_ port: Int) async -> String? {
        guard let connection = try? await RedisConnection.connect(port: port, timeout: .milliseconds(500)) else { return nil }
        let role = try? await connection.send(["ROLE"], timeout: .seconds(1)).elements?.first?.string
        await connection.close()
        return role
    }

    /// How long after `fault` the server on `port` answers `ROLE` as primary; nil when it does
    /// not within `limit` (asked every 10 ms or so).
    static func timeUntilPrimary(_ port: Int, within limit: Duration, after fault: () -> Void) async throws -> Duration? {
        let start = ContinuousClock.now
        fault()
        while ContinuousClock.now - start < limit {
            if await role(port) == "master" { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// The promotion counts of `nodes`' endpoints, asked again every 100 ms for up to 3 s until
    /// one has counted a promotion: an endpoint counts its promotion once it has seen the role
    /// change itself, which may be a moment after the test saw it.
    static func promotionsOnceCounted(_ cluster: LiveCluster, _ nodes: [String]) async throws -> [String: Int] {
        var promotions: [String: Int] = [:]
        for _ in 0..<30 {
            for node in nodes { promotions[node] = try await status(cluster, node)["promotions"] as? Int }
            if promotions.values.reduce(0, +) > 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return promotions
    }

    @Test(arguments: LiveCluster.Nodes.allCases)
    func aKilledPrimaryIsFailedOverByTheEndpoints(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes) { cluster in
            let rows = await cluster.backend.status()
            // A primary off the leader node (node-1), so that its endpoint coordinates from afar.
            let victim = try #require(rows.first { $0.role == "primary" && $0.node == "node-2" })
            let replica = try #require(rows.first { $0.shard == victim.shard && $0.role == "replica" })
            #expect(try await Self.status(cluster, "node-1")["coordinates"] as? Bool == true)
            let promotedAfter = try await Self.timeUntilPrimary(replica.port, within: .seconds(4)) { kill(victim.pid, SIGKILL) }
            let log = (try? String(contentsOfFile: EndpointProcess.logFile(in: cluster.directory + "/nodes/node-1"), encoding: .utf8)) ?? ""
            let after = try #require(promotedAfter, "the replica was not promoted within 4 s; node-1's endpoint: \(log.split(separator: "\n").suffix(6))")
            // The endpoints did it (Redis's own failover comes after 6 s or more), and say so.
            #expect(after < .seconds(4), "promoted \(after) after the kill")
            // One promotion, by the leader's endpoint, or by a stand-in when the leader's was too
            // slow to answer it (a loaded machine): a second finds no replica of the dead primary left.
            let promotions = try await Self.promotionsOnceCounted(cluster, ["node-1", "node-2", "node-3"])
            let lastWords = (try? String(contentsOfFile: EndpointProcess.logFile(in: cluster.directory + "/nodes/node-1"), encoding: .utf8)) ?? ""
            #expect(promotions.values.reduce(0, +) == 1, "the endpoints counted \(promotions); node-1's: \(lastWords.split(separator: "\n").suffix(6))")
            // A plain client through another node's endpoint writes to the shard again.
            let endpoint = try #require(await cluster.backend.endpointStatus().first { $0.node == "node-3" }?.endpoint)
            let connection = try await RedisConnection.connect(port: Int(endpoint.split(separator: ":").last!)!)
            let bounds = victim.slots.split(separator: "-").compactMap { Int($0) }
            let key = try #require((0..<100_000).lazy.map { "heal:\($0)" }.first { bounds[0]...bounds[1] ~= HashSlot.slot(of: $0) })
            var written = false
            for _ in 0..<100 where !written {
                written = try await connection.send(["SET", key, "healed"]) == .simpleString("OK")
                if !written { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(written, "the shard took writes through the endpoint again")
            await connection.close()
            print("self-healing (\(nodes)): killed primary replaced \(after) after the kill")
        }
    }

    /// The leader node down whole (its servers and its endpoint): the next endpoint in line
    /// (node-2's) stands in, finds a quorum and fails the leader's primaries over within 5 s,
    /// before Redis's own failover could (5 s node timeout, then an election); the one behind
    /// it (node-3's) hears
    /// node-2's endpoint and leaves it to it.
    @Test func aLeaderNodeThatIsDownIsFailedOverByTheNextEndpointInLine() async throws {
        try await LiveCluster.with { cluster in
            #expect(try await Self.status(cluster, "node-1")["coordinates"] as? Bool == true)
            let endpoints = await cluster.backend.endpointStatus()
            let leaderEndpoint = try #require(endpoints.first { $0.node == "node-1" }?.endpoint)
            let leaderPid = try #require(endpoints.first { $0.node == "node-1" }?.pid)
            let secondEndpoint = try #require(endpoints.first { $0.node == "node-2" }?.endpoint)
            #expect(try await Self.status(cluster, "node-2")["stands_in_after"] as? [String] == [leaderEndpoint])
            #expect(try await Self.status(cluster, "node-3")["stands_in_after"] as? [String] == [leaderEndpoint, secondEndpoint])
            let rows = await cluster.backend.status()
            let doomed = rows.filter { $0.node == "node-1" }
            let killed = ContinuousClock.now
            for pid in doomed.map(\.pid) + [leaderPid] { kill(pid, SIGKILL) }
            for shard in doomed.filter({ $0.role == "primary" }).map(\.shard) {
                let replicas = rows.filter { $0.shard == shard && $0.node != "node-1" }
                var promoted = false
                for _ in 0..<400 where !promoted {
                    for replica in replicas where await Self.role(replica.port) == "master" { promoted = true }
                    if !promoted { try await Task.sleep(for: .milliseconds(10)) }
                }
                let after = ContinuousClock.now - killed
                #expect(promoted && after < .seconds(5), "\(shard) had no primary \(after) after the leader node died")
            }
            let promotions = try await Self.promotionsOnceCounted(cluster, ["node-2", "node-3"])
            #expect(promotions["node-2"] ?? 0 >= 1 && promotions["node-3"] == 0, "the endpoints counted \(promotions)")
        }
    }

    /// A primary that takes connections but answers nothing (SIGSTOP: a stall, or a machine too
    /// loaded to answer) keeps its replicas' links up: the endpoints do not fail it over, so a
    /// loaded machine is never taken for a dead one (Redis's own failover would, after 5 s).
    @Test func aStalledPrimaryIsLeftToRedisOwnFailover() async throws {
        try await LiveCluster.with { cluster in
            let rows = await cluster.backend.status()
            let victim = try #require(rows.first { $0.role == "primary" && $0.node == "node-2" })
            let replica = try #require(rows.first { $0.shard == victim.shard && $0.role == "replica" })
            let promotedAfter = try await Self.timeUntilPrimary(replica.port, within: .seconds(3)) { kill(victim.pid, SIGSTOP) }
            kill(victim.pid, SIGCONT)
            #expect(promotedAfter == nil, "the stalled primary's replica was promoted after \(promotedAfter.map { "\($0)" } ?? "")")
            #expect(try await Self.status(cluster, "node-1")["promotions"] as? Int == 0)
        }
    }

    @Test func aHalfSecondStallFailsNothingOver() async throws {
        try await LiveCluster.with { cluster in
            let victim = try #require(await cluster.backend.status().first { $0.role == "primary" && $0.node == "node-2" })
            kill(victim.pid, SIGSTOP)
            try await Task.sleep(for: .milliseconds(500))
            kill(victim.pid, SIGCONT)
            try await Task.sleep(for: .seconds(2))
            #expect(await Self.role(victim.port) == "master")
            #expect(try await Self.status(cluster, "node-1")["promotions"] as? Int == 0)
        }
    }

    /// The leader's endpoint loses one primary while its peers still reach it (stand-ins that
    /// say so): no quorum, no failover, however long it lasts.
    @Test func anEndpointCutOffFromOneServerFailsNothingOver() async throws {
        try await LiveCluster.with { cluster in
            let rows = await cluster.backend.status()
            let victim = try #require(rows.first { $0.role == "primary" && $0.node == "node-2" })
            let servers = rows.map { "127.0.0.1:\($0.port)" }
            let scratch = LiveCluster.scratch + "maintctl-peers-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            var peers: [Program.Running] = []
            defer { for peer in peers { peer.stop() } }
            for index in 0..<2 {
                peers.append(try Program.start(ClientScript.python, [ClientScript.path("fake_peer.py"), "\(scratch)/\(index)"] + servers))
            }
            var ports: [String] = []
            for index in 0..<2 {
                for _ in 0..<100 where (try? String(contentsOfFile: "\(scratch)/\(index)", encoding: .utf8)).flatMap(Int.init) == nil {
                    try await Task.sleep(for: .milliseconds(50))
                }
                ports.append(try #require(try? String(contentsOfFile: "\(scratch)/\(index)", encoding: .utf8)))
            }
            let control = EndpointProcess.controlSocket(in: cluster.directory + "/nodes/node-1")
            let connection = try await RedisConnection.connect(unixSocket: control)
            #expect(try await connection.send(["PEERS"] + ports.map { "127.0.0.1:\($0)" }) == .simpleString("OK"))
            await connection.close()
            // Silent to the leader's endpoint for 2.5 s (to everyone, in fact: the peers say otherwise).
            kill(victim.pid, SIGSTOP)
            try await Task.sleep(for: .milliseconds(2500))
            kill(victim.pid, SIGCONT)
            try await Task.sleep(for: .milliseconds(500))
            #expect(await Self.role(victim.port) == "master")
            #expect(try await Self.status(cluster, "node-1")["promotions"] as? Int == 0)
        }
    }
}

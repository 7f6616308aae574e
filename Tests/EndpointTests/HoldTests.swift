import Foundation
import LiveClusterSupport
import ProcessBackend
import RedisWire
import Testing

/// A shard held by the endpoints (what maintctl asks before a planned failover): its requests
/// wait while other shards flow, then go to the new primary in order; a hold nobody releases
/// (maintctl died) ends at its limit with `TRYAGAIN`, and the endpoint serves on.
@Suite(.serialized) struct HoldTests {
    /// The control socket and client address of node-1's endpoint, and the first two shards:
    /// their primary's port, a replica's port and a key each.
    struct Setup {
        var control: String
        var endpointPort: Int
        var held: (primary: Int, replica: Int, key: String)
        var other: (primary: Int, key: String)
    }

    static func setup(_ cluster: LiveCluster) async throws -> Setup {
        let endpoint = try #require(await cluster.backend.endpointStatus().first { $0.node == "node-1" }?.endpoint)
        let rows = await cluster.backend.status()
        let primaries = rows.filter { $0.role == "primary" }.sorted { $0.shard < $1.shard }
        try #require(primaries.count == 3)
        let replica = try #require(rows.first { $0.shard == primaries[0].shard && $0.role == "replica" })
        func key(in row: CopyStatus) throws -> String {
            let bounds = row.slots.split(separator: "-").compactMap { Int($0) }
            return try #require((0..<100_000).lazy.map { "hold:\($0)" }.first { bounds[0]...bounds[1] ~= HashSlot.slot(of: $0) })
        }
        return Setup(control: EndpointProcess.controlSocket(in: cluster.directory + "/nodes/node-1"),
                     endpointPort: Int(endpoint.split(separator: ":").last!)!,
                     held: (primaries[0].port, replica.port, try key(in: primaries[0])), other: (primaries[1].port, try key(in: primaries[1])))
    }

    static func control(_ setup: Setup, _ command: String...) async throws -> RESPValue {
        let connection = try await RedisConnection.connect(unixSocket: setup.control)
        let answer = try await connection.send(command)
        await connection.close()
        return answer
    }

    @Test func aHoldNobodyReleasesEndsAtItsLimitWithTryAgainAndTheEndpointServesOn() async throws {
        try await LiveCluster.with { cluster in
            let setup = try await Self.setup(cluster)
            // From before the hold is sent: its reply may come late on a loaded machine.
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try await Self.control(setup, "HOLD", "127.0.0.1:\(setup.held.primary)", "3000") == .simpleString("OK"))
            let (held, other) = try await withThrowingTaskGroup(of: (String, RESPValue, ContinuousClock.Instant).self) { group in
                group.addTask {
                    let connection = try await RedisConnection.connect(port: setup.endpointPort)
                    let reply = try await connection.send(["SET", setup.held.key, "held"], timeout: .seconds(10))
                    await connection.close()
                    return ("held", reply, clock.now)
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(200))
                    let connection = try await RedisConnection.connect(port: setup.endpointPort)
                    let reply = try await connection.send(["SET", setup.other.key, "flows"], timeout: .seconds(10))
                    await connection.close()
                    return ("other", reply, clock.now)
                }
                var replies: [String: (RESPValue, ContinuousClock.Instant)] = [:]
                for try await (name, reply, at) in group { replies[name] = (reply, at) }
                return (replies["held"]!, replies["other"]!)
            }
            // The held request waited its limit and was not run; the other shard's came back meanwhile.
            guard case let .error(message) = held.0 else { Issue.record("the held SET answered \(held.0)"); return }
            #expect(message.hasPrefix("TRYAGAIN"), "\(message)")
            #expect(held.1 - started >= .milliseconds(3000), "answered after \(held.1 - started), before the hold's limit")
            #expect(other.0 == .simpleString("OK") && other.1 < held.1, "the other shard was served while the hold lasted")
            let direct = try await RedisConnection.connect(port: setup.held.primary)
            #expect(try await direct.command("GET", setup.held.key) == .bulkString(nil), "a request answered TRYAGAIN never ran")
            await direct.close()
            // The endpoint serves the shard again, and a release that comes too late says so.
            let connection = try await RedisConnection.connect(port: setup.endpointPort)
            #expect(try await connection.send(["SET", setup.held.key, "after"]) == .simpleString("OK"))
            #expect(try await connection.send(["GET", setup.held.key]) == .bulkString(Array("after".utf8)))
            await connection.close()
            let late = try await Self.control(setup, "RELEASE", "127.0.0.1:\(setup.held.primary)", "127.0.0.1:\(setup.held.replica)")
            #expect(late.isError && (late.string ?? "\(late)").contains("EXPIRED"), "\(late)")
        }
    }

    @Test func heldRequestsGoToTheNewPrimaryInTheOrderTheyCame() async throws {
        try await LiveCluster.with { cluster in
            let setup = try await Self.setup(cluster)
            // Long enough for a loaded machine: this test is about order, not the limit.
            #expect(try await Self.control(setup, "HOLD", "127.0.0.1:\(setup.held.primary)", "30000") == .simpleString("OK"))
            // One client's pipeline waits in the hold: its replies must come in order, from the new primary.
            let client = try Program.start(ClientScript.python, ["-c", Self.pipeline, String(setup.endpointPort), setup.held.key])
            var waited = false
            defer { if !waited { client.stop() } }
            try await Task.sleep(for: .milliseconds(300))
            let replica = try await RedisConnection.connect(port: setup.held.replica)
            try await replica.command("CLUSTER", "FAILOVER", "TAKEOVER")
            for _ in 0..<300 where try await replica.command("ROLE").elements?.first?.string != "master" {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await Self.control(setup, "RELEASE", "127.0.0.1:\(setup.held.primary)", "127.0.0.1:\(setup.held.replica)") == .simpleString("OK"))
            waited = true
            let ran = try await client.wait(limit: .seconds(20))
            #expect(ran.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[True, 2, 3, 4, b'4']", "\(ran.stdout) \(ran.stderr)")
            #expect(try await replica.command("GET", setup.held.key) == .bulkString(Array("4".utf8)), "the new primary ran them")
            await replica.close()
        }
    }

    /// A redis-py pipeline (SET k 1, INCR ×3, GET) through the endpoint, its replies printed.
    static let pipeline = """
        import sys, redis
        client = redis.Redis(port=int(sys.argv[1]), socket_timeout=15)
        pipe = client.pipeline(transaction=False)
        key = sys.argv[2]
        pipe.set(key, 1); pipe.incr(key); pipe.incr(key); pipe.incr(key); pipe.get(key)
        print(pipe.execute())
        """
}

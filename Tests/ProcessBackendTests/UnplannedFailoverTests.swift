import Foundation
import Logging
import MaintenanceKit
@testable import ProcessBackend
import RedisWire
import LiveClusterSupport
import Testing

/// Faults injected for real into a live cluster of local-cluster.yaml (node-1 holds s1's
/// primary and s3's replica, node-2 s2's primary and s1's replica), and what the failure
/// detector does about them.
@Suite(.serialized) struct UnplannedFailoverTests {
    /// On containers the kill is node-1's whole container.
    @Test(arguments: LiveCluster.Nodes.allCases)
    func aKilledPrimaryIsReplacedWithinTwoSeconds(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes) { cluster in
            let backend = cluster.backend
            try await cluster.load(keys: 1000)
            _ = try await backend.waitForSync(of: "s1", on: "node-2", in: "local")
            let replica = try #require(await backend.status().first { $0.shard == "s1" && $0.node == "node-2" })
            try await backend.beginMaintenance(of: "local")
            let node = try await backend.inject(Fault(.kill, .primaryOf(shard: "s1")), in: "local")
            let killed = ContinuousClock.now
            #expect(node == "node-1")
            // Bounds that say "not stuck" on a machine other tests load; maintctl-bench's
            // unplanned-failover benchmark measures the detector's speed (0.86 s p50).
            // (On a 2-core Xeon running the whole suite, 3.6 s of detection and 1.8 s of promotion.)
            let failures = try await cluster.failures(within: .seconds(12))
            let noticed = ContinuousClock.now - killed
            #expect(noticed <= .seconds(10), "the failover took \(noticed)")
            let failure = try #require(failures.first)
            #expect(failures.count == 1)
            #expect(failure.node == "node-1" && failure.lostShards.isEmpty && failure.newLeader == "node-2")
            let failover = try #require(failure.failovers.first)
            #expect(failure.failovers.count == 1)
            #expect(failover.shard == "s1" && failover.kind == .unplanned && failover.from == "node-1" && failover.to == "node-2")
            let detection = try #require(failover.detection), promotion = try #require(failover.promotion)
            #expect(detection >= .milliseconds(750) && detection + promotion <= .seconds(10), "detection \(detection), promotion \(promotion)")
            #expect(failover.unavailable == detection + promotion)
            // Each failure is reported once.
            #expect(try await backend.unplannedFailures(in: "local").isEmpty)

            // The live servers agree: s1's copy on node-2 is primary of s1's slots.
            #expect(try await cluster.role(of: replica.port) == "master")
            let view = try await cluster.clusterNodes(asking: replica.port)
            let promoted = try #require(view.first { $0.contains("myself") })
            #expect(promoted.split(separator: " ")[2].split(separator: ",").contains("master") && promoted.hasSuffix(" 0-5460"))
            // …and so does a server on another node.
            let promotedID = try #require(promoted.split(separator: " ").first.map(String.init))
            let other = try #require(await backend.status().first { $0.node == "node-3" && $0.shard == "s2" })
            let seen = try #require(try await cluster.clusterNodes(asking: other.port).first { $0.hasPrefix(promotedID) })
            #expect(seen.split(separator: " ")[2] == "master" && seen.hasSuffix(" 0-5460"))
            #expect(try await cluster.clusterStateOK(asking: replica.port))
            try await cluster.writeToEverySlot()
            #expect(try await cluster.missingKeys(of: 1000) == 0)

            // The recorded state: node-1 failed, its copies listed and lost.
            let topology = try await backend.topology(of: "local")
            #expect(topology.node("node-1")?.lifecycle == .failed)
            #expect(topology.leader == "node-2")
            #expect(topology.shard("s1")?.primaryNode == "node-2")
            #expect(topology.shards.flatMap(\.copies).filter { $0.node == "node-1" }.allSatisfy { $0.role == .replica && !$0.inSync })
            #expect(topology.shards.allSatisfy { $0.primaries.count == 1 })
            if let containers = try await cluster.containers() {
                #expect(containers.filter { !$0.running }.map(\.node) == ["node-1"])
            }
            try await backend.endMaintenance(of: "local")
        }
    }

    /// maintctl does not heartbeat the servers: with the other nodes' endpoints stopped, a dead
    /// node is not declared down, and it is once they report again. The node is killed by its
    /// pids here, not injected (an injected kill waits for the verdict, 4.5 s with no endpoint to
    /// give it), so that the whole test stays well inside Redis's own failover (5 s node timeout).
    @Test func theRolloutLearnsFailuresFromTheEndpoints() async throws {
        try await LiveCluster.with { cluster in
            let backend = cluster.backend
            try await cluster.load(keys: 1000)
            _ = try await backend.waitForSync(of: "s1", on: "node-2", in: "local")
            try await backend.beginMaintenance(of: "local")
            let endpoints = await backend.endpointStatus()
            let observers = endpoints.filter { $0.node != "node-1" }.compactMap(\.pid)
            #expect(observers.count == 2)
            for pid in observers { kill(pid, SIGSTOP) }
            defer { for pid in observers { kill(pid, SIGCONT) } }
            // node-1 crashes: its servers and its endpoint.
            let doomed = await backend.status().filter { $0.node == "node-1" }.map(\.pid) + endpoints.filter { $0.node == "node-1" }.compactMap(\.pid)
            for pid in doomed { kill(pid, SIGKILL) }
            // Twice the time the endpoints take to report a crash.
            #expect(try await cluster.failures(within: .milliseconds(1800)).isEmpty)
            for pid in observers { kill(pid, SIGCONT) }
            let failure = try #require(try await cluster.failures(within: .seconds(8)).first)
            #expect(failure.node == "node-1" && failure.failovers.map(\.to) == ["node-2"])
            let promoted = try #require(await backend.status().first { $0.shard == "s1" && $0.node == "node-2" })
            #expect(try await cluster.role(of: promoted.port) == "master")
            #expect(try await cluster.missingKeys(of: 1000) == 0)
            try await backend.endMaintenance(of: "local")
        }
    }

    @Test func aNodeIsDownWhenAQuorumOfEndpointsFindsEveryServerOnItSilent() {
        let down = Duration.milliseconds(750)
        let limits: [Int: Duration] = [7001: .seconds(60), 7004: .seconds(60)]
        let silent: EndpointHealthPoll.Report = [7001: .milliseconds(900), 7004: .milliseconds(800), 7002: .zero]
        let oneAnswers: EndpointHealthPoll.Report = [7001: .milliseconds(900), 7004: .zero]
        let knowsOne: EndpointHealthPoll.Report = [7001: .milliseconds(1000), 7002: .zero]
        let knowsNone: EndpointHealthPoll.Report = [7002: .zero]
        #expect(FailureDetector.agreedSilence(of: limits, in: [silent, silent], downAfter: down, quorum: 2) == .milliseconds(800))
        // One endpoint cut off from the node's servers is not a quorum.
        #expect(FailureDetector.agreedSilence(of: limits, in: [silent, oneAnswers], downAfter: down, quorum: 2) == nil)
        #expect(FailureDetector.agreedSilence(of: limits, in: [silent], downAfter: down, quorum: 2) == nil)
        // A server an endpoint does not watch (not in its slot map yet) is not held against the node…
        #expect(FailureDetector.agreedSilence(of: limits, in: [silent, knowsOne], downAfter: down, quorum: 2) == .milliseconds(1000))
        // …but an endpoint that watches none of its servers knows nothing of it.
        #expect(FailureDetector.agreedSilence(of: limits, in: [silent, knowsNone], downAfter: down, quorum: 2) == nil)
        // Silence counts from when maintctl began to watch a server (one it restarted is new).
        let restarted: [Int: Duration] = [7001: .milliseconds(300), 7004: .seconds(60)]
        #expect(FailureDetector.agreedSilence(of: restarted, in: [silent, silent], downAfter: down, quorum: 2) == nil)
        // No report, no verdict, whatever the quorum.
        #expect(FailureDetector.agreedSilence(of: limits, in: [], downAfter: down, quorum: 0) == nil)
    }

    @Test func anEndpointsHealthReplyIsReadAsSilencesByPort() {
        let reply = RESPValue.array([.array([.bulkString(Array("127.0.0.1:7001".utf8)), .integer(1200)]), .array([.bulkString(Array("127.0.0.1:7002".utf8)), .integer(0)])])
        #expect(EndpointHealthPoll.report(of: reply) == [7001: .milliseconds(1200), 7002: .zero])
        #expect(EndpointHealthPoll.report(of: .error("ERR unknown command")) == nil)
        #expect(EndpointHealthPoll.report(of: .array([.simpleString("OK")])) == nil)
    }

    @Test func aHalfSecondPauseCausesNoFailover() async throws {
        try await LiveCluster.with { cluster in
            let backend = cluster.backend
            try await backend.beginMaintenance(of: "local")
            let before = try await cluster.roles()
            let node = try await backend.inject(Fault(.pause, .primaryOf(shard: "s1"), duration: .milliseconds(500)), in: "local")
            let injected = ContinuousClock.now
            #expect(node == "node-1")
            let paused = await backend.status().filter { $0.node == "node-1" }
            // On a loaded machine this test itself may not run again before the pause is over.
            if ContinuousClock.now - injected < .milliseconds(400) {
                #expect(paused.count == 2 && paused.allSatisfy { $0.role == "paused" && RedisServerProcess.isStopped($0.pid) })
            }
            try await Task.sleep(for: .seconds(2))
            #expect(try await backend.unplannedFailures(in: "local").isEmpty)
            #expect(try await cluster.roles() == before)
            #expect(try await backend.topology(of: "local").node("node-1")?.lifecycle == .active)
            #expect(await backend.status().allSatisfy { $0.healthy && !RedisServerProcess.isStopped($0.pid) })

            // What loopback processes cannot do is refused with a clear error.
            for kind in [FaultKind.slow, .partition] {
                await #expect {
                    _ = try await backend.inject(Fault(kind, .node("node-2"), duration: .seconds(1), slowdown: 5), in: "local")
                } throws: { error in
                    (error as? BackendError)?.code == .faultNotInjectable && "\(error)".contains("it can: kill, pause")
                }
            }
            await #expect(throws: BackendError.self) { _ = try await backend.inject(Fault(.pause, .node("node-2")), in: "local") }
            try await backend.endMaintenance(of: "local")
        }
    }

    @Test func aLongPauseFailsOverAndTheNodeComesBackAsReplicas() async throws {
        try await LiveCluster.with { cluster in
            let backend = cluster.backend
            try await cluster.load(keys: 1000)
            _ = try await backend.waitForSync(of: "s1", on: "node-2", in: "local")
            try await backend.beginMaintenance(of: "local")
            let node = try await backend.inject(Fault(.pause, .primaryOf(shard: "s1"), duration: .seconds(5)), in: "local")
            #expect(node == "node-1")
            // Declared once a peer's cluster-bus ping to it is pending too: usually within a
            // second, at worst cluster-node-timeout / 2 = 2.5 s into the stall.
            let failures = try await cluster.failures(within: .seconds(8))
            let failure = try #require(failures.first)
            #expect(failure.node == "node-1" && failure.failovers.map(\.to) == ["node-2"])
            #expect(try await backend.topology(of: "local").node("node-1")?.lifecycle == .failed)
            // After the pause, its servers find s1 owned by a newer epoch and turn replica; the
            // detector gives node-1 its lifecycle back.
            try await cluster.waitUntil("node-1 to be taken back", limit: .seconds(8)) {
                try await backend.topology(of: "local").node("node-1")?.lifecycle == .active
            }
            for row in await backend.status() where row.node == "node-1" {
                #expect(try await cluster.role(of: row.port) == "slave")
            }
            let topology = try await backend.topology(of: "local")
            #expect(topology.shard("s1")?.primaryNode == "node-2")
            #expect(topology.shards.allSatisfy { $0.primaries.count == 1 })
            try await cluster.waitUntil("every copy to be healthy", limit: .seconds(10)) {
                await backend.status().allSatisfy(\.healthy)
            }
            #expect(try await cluster.missingKeys(of: 1000) == 0)
            try await backend.endMaintenance(of: "local")
        }
    }

    @Test func clusterDownStopsAPausedNodeWhoseMaintctlIsGone() async throws {
        try await LiveCluster.with { cluster in
            let node = try await cluster.backend.inject(Fault(.pause, .node("node-3"), duration: .seconds(120)), in: "local")
            #expect(node == "node-3")
            let pids = await cluster.backend.status().map(\.pid)
            #expect(pids.contains(where: RedisServerProcess.isStopped))
            // `maintctl cluster down` from another process: it knows the pause from the state file.
            let other = try ProcessBackend(directory: cluster.directory, logger: Logger(label: "test"))
            let started = ContinuousClock.now
            try await other.down()
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(pids.allSatisfy { kill($0, 0) != 0 || LiveCluster.isZombie($0) })
        }
    }
}

extension LiveCluster {
    /// The unplanned failures the backend reports within `limit`, polled every 10 ms.
    func failures(within limit: Duration) async throws -> [UnplannedFailure] {
        let deadline = ContinuousClock.now + limit
        var failures: [UnplannedFailure] = []
        while failures.isEmpty, ContinuousClock.now < deadline {
            failures += try await backend.unplannedFailures(in: "local")
            if failures.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        return failures
    }

    /// Polls `condition` every 50 ms until it holds.
    /// - Throws: `BackendError` when `limit` passes first.
    func waitUntil(_ what: String, limit: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BackendError(.timeout, "timed out after \(limit) waiting for \(what)")
    }

    /// Sends one command to the server on `port` on a connection of its own.
    func ask(_ port: Int, _ arguments: String...) async throws -> RESPValue {
        let connection = try await RedisConnection.connect(port: port)
        do {
            let reply = try await connection.send(arguments, timeout: .seconds(2))
            await connection.close()
            return reply
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The first element of `ROLE`: master or slave.
    func role(of port: Int) async throws -> String? {
        try await ask(port, "ROLE").elements?.first?.string
    }

    /// Every server's `ROLE`, by port.
    func roles() async throws -> [Int: String] {
        var roles: [Int: String] = [:]
        for row in await backend.status() { roles[row.port] = try await role(of: row.port) }
        return roles
    }

    func clusterNodes(asking port: Int) async throws -> [String] {
        (try await ask(port, "CLUSTER", "NODES").string ?? "").split(whereSeparator: \.isNewline).map(String.init)
    }

    func clusterStateOK(asking port: Int) async throws -> Bool {
        (try await ask(port, "CLUSTER", "INFO").string ?? "").contains("cluster_state:ok")
    }

    /// Writes one key to each of the 16384 slots through the primary that owns it by the
    /// cluster's own map (`CLUSTER SLOTS` of a healthy server), and reads them back.
    func writeToEverySlot() async throws {
        let asked = try #require(await backend.status().first { $0.healthy })
        var owners: [(slots: ClosedRange<Int>, port: Int)] = []
        for range in try await ask(asked.port, "CLUSTER", "SLOTS").elements ?? [] {
            guard let fields = range.elements, fields.count >= 3, let first = fields[0].integer, let last = fields[1].integer,
                  let port = fields[2].elements?[1].integer else { continue }
            owners.append((Int(first)...Int(last), Int(port)))
        }
        var keys = [String?](repeating: nil, count: HashSlot.count)
        var found = 0
        for index in 0..<2_000_000 where found < HashSlot.count {
            let key = "slot-probe:\(index)"
            let slot = HashSlot.slot(of: key)
            if keys[slot] == nil {
                keys[slot] = key
                found += 1
            }
        }
        #expect(found == HashSlot.count)
        var links: [Int: RedisConnection] = [:]
        for owner in owners where links[owner.port] == nil { links[owner.port] = try await RedisConnection.connect(port: owner.port) }
        let byPort = links, routes = owners, slotKeys = keys.compactMap { $0 }
        let refused = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    for index in stride(from: worker, to: slotKeys.count, by: 32) {
                        let key = slotKeys[index]
                        let slot = HashSlot.slot(of: key)
                        guard let port = routes.first(where: { $0.slots.contains(slot) })?.port, let link = byPort[port] else {
                            await refused.add()
                            continue
                        }
                        let written = try await link.send(["SET", key, "v"])
                        let read = try await link.send(["GET", key])
                        if written.string != "OK" || read.string != "v" { await refused.add() }
                    }
                }
            }
            try await group.waitForAll()
        }
        for link in links.values { await link.close() }
        #expect(await refused.value == 0, "slots not served")
    }
}

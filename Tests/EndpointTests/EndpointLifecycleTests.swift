import Foundation
import LiveClusterSupport
import ProcessBackend
import RedisWire
import Testing

/// The backend keeps every live node's endpoint running: one that died is started again, on its
/// port, when maintctl attaches to run or resume.
@Suite(.serialized) struct EndpointLifecycleTests {
    @Test func anEndpointThatDiedIsStartedAgainOnItsPort() async throws {
        try await LiveCluster.with { cluster in
            let before = try #require(await cluster.backend.endpointStatus().first { $0.node == "node-2" })
            let pid = try #require(before.pid)
            kill(pid, SIGKILL)
            for _ in 0..<100 where kill(pid, 0) == 0 && !LiveCluster.isZombie(pid) { try await Task.sleep(for: .milliseconds(20)) }
            let dead = try #require(await cluster.backend.endpointStatus().first { $0.node == "node-2" })
            #expect(!dead.running, "cluster status tells a dead endpoint")

            // What `run` and `resume` do when they attach to the cluster.
            try await cluster.backend.startMissingEndpoints()
            let after = try #require(await cluster.backend.endpointStatus().first { $0.node == "node-2" })
            #expect(after.running && after.endpoint == before.endpoint && after.pid != pid)
            let port = try #require(Int(after.endpoint?.split(separator: ":").last ?? ""))
            let client = try await RedisConnection.connect(port: port)
            let reply = try await client.send(["SET", "again", "yes"])
            await client.close()
            #expect(reply == .simpleString("OK"))
        }
    }

    /// When a leaving node's endpoint hands its address to its successor's, the successor
    /// listens on it before the leaving one stops, and the system sends it every new connection
    /// of the address: a client connecting meanwhile is never refused nor reset.
    @Test func anAddressHandedOverRefusesNoConnection() async throws {
        try await LiveCluster.with { cluster in
            let status = await cluster.backend.endpointStatus()
            let address = try #require(status.first { $0.node == "node-1" }?.endpoint)
            let port = try #require(Int(address.split(separator: ":").last ?? ""))
            let control = ["node-1", "node-2"].reduce(into: [String: String]()) { sockets, node in
                sockets[node] = EndpointProcess.controlSocket(in: cluster.directory + "/nodes/" + node)
            }
            let handedOver = Flag()
            let failures = try await withThrowingTaskGroup(of: [String].self) { group in
                // 8 clients connecting at once, so that connections wait in the accept queues
                // when the leaving endpoint stops listening.
                for _ in 0..<8 {
                    group.addTask {
                        var failures: [String] = []
                        // Bounded: at most 10 s of connections, one after another.
                        let deadline = ContinuousClock.now + .seconds(10)
                        while !(await handedOver.isSet), ContinuousClock.now < deadline {
                            do {
                                let client = try await RedisConnection.connect(port: port)
                                let reply = try await client.send(["PING"])
                                await client.close()
                                if reply != .simpleString("PONG") { failures.append("PING answered \(reply)") }
                            } catch {
                                failures.append("\(error)")
                            }
                        }
                        return failures
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(300))
                    for (node, command) in [("node-2", ["LISTEN", address]), ("node-1", ["UNLISTEN"])] {
                        let endpoint = try await RedisConnection.connect(unixSocket: control[node]!)
                        let reply = try await endpoint.send(command)
                        await endpoint.close()
                        #expect(reply == .simpleString("OK"), "\(node) \(command): \(reply)")
                        // As a loaded machine spaces them out.
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    try await Task.sleep(for: .milliseconds(300))
                    await handedOver.set()
                    return []
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(failures.count == 0, "\(failures.count) connections failed: \(failures.prefix(3))")
            // The address is served by node-2's endpoint now.
            let client = try await RedisConnection.connect(port: port)
            let reply = try await client.send(["SET", "handed", "over"])
            await client.close()
            #expect(reply == .simpleString("OK"))
            let node2 = try await RedisConnection.connect(unixSocket: control["node-2"]!)
            let listening = try await node2.send(["STATUS"])
            await node2.close()
            #expect("\(listening)".contains(address), "node-2 listens on \(address): \(listening)")
        }
    }
}

private actor Flag {
    private(set) var isSet = false
    func set() { isSet = true }
}

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
}

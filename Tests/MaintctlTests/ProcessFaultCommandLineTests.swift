import Foundation
import Testing

/// A node killed under a rolling patch of a live cluster, with a client probe writing.
@Suite(.serialized) struct ProcessFaultCommandLineTests {
    let cluster = ProcessCommandLineTests()

    /// `--probe-wait 0`: a write counts once its primary says OK (Redis replicates after that, so
    /// a write the dead primary took in its last moments can be lost); `1`: once a replica holds it.
    /// On the container backend the kill is the node's whole container.
    @Test(arguments: [0, 1], ["process", "container"])
    func aNodeKilledMidPatchPausesTheRollout(probeWait: Int, backend: String) async throws {
        try await cluster.withCluster(backend) { state in
            let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", backend, "--state", state,
                                            "--probe", "--probe-wait", "\(probeWait)", "--format", "json",
                                            "--inject", "kill node-2 after migrate_shards#2"])
            #expect(result.status == 3, "\(result.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                       "\(result.stdout)\(result.stderr)")
            #expect(summary["status"] as? String == "paused")
            let failovers = try #require(summary["failovers"] as? [[String: Any]])
            let unplanned = failovers.filter { $0["kind"] as? String == "unplanned" }
            #expect(unplanned.map { $0["shard"] as? String } == ["s2"], "node-2 held s2's primary")
            #expect(unplanned.allSatisfy { ($0["detection_ms"] as? Int ?? .max) + ($0["promotion_ms"] as? Int ?? .max) <= 2000 })
            let lost = try #require(summary["acknowledged_writes_lost"] as? Int)
            if probeWait == 1 {
                #expect(lost == 0, "a write a replica confirmed survives the failover")
            } else {
                // Asynchronous replication: at most the writes of the last moments before the kill.
                #expect(lost <= 20, "\(lost) acknowledged writes lost")
            }
            // One live primary per shard; node-2's copies are down, nothing else is.
            let copies = try await cluster.status(state)
            for shard in ["s1", "s2", "s3"] {
                #expect(copies.filter { $0.shard == shard && $0.role == "primary" && $0.healthy }.count == 1, "one primary for \(shard)")
            }
            #expect(copies.filter { !$0.healthy && $0.role != "unattached" }.allSatisfy { $0.node == "node-2" })
        }
    }

    /// Faults at a time, whatever action runs then: a short stall of s2's primary (no failover)
    /// and node-3 killed once the stall is over. Early enough to find the rollout of three
    /// nodes running on a fast machine (it takes about a second with the probe writing): on a
    /// slow one they hit an earlier action, which is the point. The stall is of node-2, which
    /// never holds a copy of s3: a stall of s3's only other copy right before its primary is
    /// killed would lose every write of the stall (replication is asynchronous).
    @Test func faultsAtATimeHitWhateverRunsThen() async throws {
        try await cluster.withCluster { state in
            let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state,
                                            "--probe", "--format", "json",
                                            "--inject", "pause shard s2 primary 500ms at 100ms", "--inject", "kill node-3 at 900ms"])
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stderr.contains("⚡ injected: pause shard s2 primary 500ms at 100ms"), "\(result.stderr)")
            #expect(result.stderr.contains("⚡ injected: kill node-3 at 900ms"), "\(result.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                       "\(result.stdout)\(result.stderr)")
            #expect(summary["status"] as? String == "paused")
            let unplanned = (summary["failovers"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "unplanned" }
            #expect(unplanned.allSatisfy { $0["from"] as? String == "node-3" }, "the stall failed nothing over")
            #expect(summary["acknowledged_writes_lost"] as? Int ?? -1 <= 20)
            let copies = try await cluster.status(state)
            for shard in ["s1", "s2", "s3"] {
                #expect(copies.filter { $0.shard == shard && $0.role == "primary" && $0.healthy }.count == 1, "one primary for \(shard)")
            }
        }
    }
}

import Foundation
import Testing

/// `run --inject`, a playbook's `faults:`, and `verify`, end to end.
@Suite struct FaultCommandLineTests {
    @Test func aNodeKilledMidRolloutPausesTheCacheAndResumeFinishesIt() async throws {
        let home = try CLI.temporaryDirectory("home")
        let journal = home + "/run.sqlite"
        let run = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--journal", journal, "--format", "json",
                                     "--inject", "kill pay-weu-1-n2 after migrate_shards#2"], home: home)
        #expect(run.status == 3, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(summary["status"] as? String == "paused")
        let failovers = try #require(summary["failovers"] as? [[String: Any]])
        let unplanned = failovers.filter { $0["kind"] as? String == "unplanned" }
        #expect(unplanned.count == 2, "pay-weu-1-n2 held two primaries")
        #expect(unplanned.allSatisfy { ($0["detection_ms"] as? Int ?? 0) >= 750 && ($0["promotion_ms"] as? Int ?? 0) > 0 })
        #expect(unplanned.allSatisfy { $0["from"] as? String == "pay-weu-1-n2" })
        let caches = try #require(summary["caches"] as? [[String: Any]])
        let paused = try #require(caches.first { $0["id"] as? String == "pay-weu-1" })
        #expect(paused["status"] as? String == "paused")
        #expect(paused["stopped_at"] as? String == "before drain pay-weu-1-n2")
        #expect(caches.filter { $0["status"] as? String == "succeeded" }.count == 4, "other caches are not held back")
        #expect(run.stderr.contains("⚡ injected: kill pay-weu-1-n2 after migrate_shards#2"))

        let status = try await CLI.run(["status", journal, "--format", "json"], home: home)
        #expect(status.stdout.contains("\"failed\""), "the failed node shows in the journaled topology")

        let resume = try await CLI.run(["resume", journal, "--format", "json"], home: home)
        #expect(resume.status == 0, "\(resume.stderr)")
        let resumed = try #require(try JSONSerialization.jsonObject(with: Data(resume.stdout.utf8)) as? [String: Any])
        #expect(resumed["status"] as? String == "succeeded")
        let journaled = try #require(resumed["failovers"] as? [[String: Any]])
        #expect(journaled.filter { $0["kind"] as? String == "unplanned" }.count == 2, "the journal kept the unplanned failovers")
    }

    @Test func badFaultsAreRefusedBeforeAnythingRuns() async throws {
        let home = try CLI.temporaryDirectory("home")
        let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--inject", "kill pay-weu-9-n1 after migrate_shard#1",
                                        "--inject", "pause pay-weu-1-n1 at 3s"], home: home)
        #expect(result.status == 2)
        #expect(result.stderr.contains("error: --inject 'kill pay-weu-9-n1 after migrate_shard#1': no targeted cache has a node 'pay-weu-9-n1'"))
        #expect(result.stderr.contains("the playbook has no 'migrate_shard' step; did you mean 'migrate_shards'?"))
        #expect(result.stderr.contains("error: --inject 'pause pay-weu-1-n1 at 3s': a pause fault needs a duration"))
        #expect(!result.stdout.contains("Summary"))
        let journals = (try? FileManager.default.contentsOfDirectory(atPath: home + "/journals")) ?? []
        #expect(journals.isEmpty, "no journal was written")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func verifyAcceptsASafePlaybookAndShowsTheCounterexampleOfAnUnsafeOne() async throws {
        let safe = try await CLI.run(["verify", "Playbooks/rolling-patch.yaml", "--inventory", "Playbooks/inventories/demo-fleet.yaml"])
        #expect(safe.status == 0, "\(safe.stdout)\(safe.stderr)")
        #expect(safe.stdout.contains("✓ every invariant held in every schedule"))

        let unsafe = try await CLI.run(["verify", "Tests/Playbooks/unsafe-small-vms.yaml"])
        #expect(unsafe.status == 1)
        #expect(unsafe.stdout.contains("✗ counterexample 1 (cache pay-weu-1): 'kill pay-weu-1-"))
        #expect(unsafe.stdout.contains("Tests/Playbooks/unsafe-small-vms.yaml:23:9: invariant 8 (headroom) violated"))
        #expect(unsafe.stdout.contains("replay: maintctl run Tests/Playbooks/unsafe-small-vms.yaml --dry-run --inject 'kill "))

        let json = try await CLI.run(["verify", "Tests/Playbooks/unsafe-small-vms.yaml", "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["safe"] as? Bool == false)
        #expect((report["explored"] as? Int ?? 0) > 100)
        let examples = try #require(report["counterexamples"] as? [[String: Any]])
        let replay = try #require((examples.first?["faults"] as? [String])?.first)

        // The counterexample replays through `run --inject` and breaks the same rule.
        let replayed = try await CLI.run(["run", "Tests/Playbooks/unsafe-small-vms.yaml", "--dry-run", "--inject", replay])
        #expect(replayed.status == 1)
        #expect(replayed.stdout.contains("invariant 8 (headroom) violated"))
    }

    @Test func verifyRejectsBadInputCleanly() async throws {
        let bad = try await CLI.run(["verify", "Playbooks/rolling-patch.yaml", "--kinds", "meteor"])
        #expect(bad.status == 64 || bad.status == 2, "\(bad.stderr)")
        #expect(bad.stderr.contains("unknown fault kind 'meteor'"))
        let missing = try await CLI.run(["verify", "Playbooks/nope.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("Playbooks/nope.yaml"))
    }
}

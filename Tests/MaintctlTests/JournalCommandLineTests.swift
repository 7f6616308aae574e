import Foundation
import LiveClusterSupport
import MaintenanceKit
import RolloutJournal
import Testing

/// Journaled runs through the CLI on the simulated backend: crashes at every journal write
/// and resume, locks between concurrent runs, abort, and journals that cannot be used.
@Suite struct JournalCommandLineTests {
    /// The rolling patch limited to `caches` of the demo fleet, as a playbook file of its own.
    static func playbook(caches: [String]) throws -> String {
        let text = try String(contentsOfFile: CLI.packageRoot + "/Playbooks/rolling-patch.yaml", encoding: .utf8)
            .replacingOccurrences(of: "inventory: inventories/demo-fleet.yaml",
                                  with: "inventory: \(CLI.packageRoot)/Playbooks/inventories/demo-fleet.yaml\n"
                                      + "targets:\n  caches: [\(caches.joined(separator: ", "))]")
        return try CLI.temporaryFile(text, name: "patch-\(caches.joined(separator: "-")).yaml")
    }

    /// Every action succeeded exactly once, whatever happened in between.
    func expectEachActionDoneOnce(_ snapshot: JournalSnapshot) {
        var succeeded: [String: Int] = [:]
        for attempt in snapshot.attempts where attempt.state == "succeeded" {
            succeeded["\(attempt.cache)#\(attempt.actionIndex)", default: 0] += 1
        }
        #expect(succeeded.count == snapshot.plan.actionCount)
        #expect(succeeded.values.allSatisfy { $0 == 1 }, "no action applied twice")
    }

    @Test func aCrashAtEveryJournalWriteThenResumeEndsLikeAnUninterruptedRun() async throws {
        let playbook = try Self.playbook(caches: ["pay-weu-1", "cat-weu-1"])
        let directory = try CLI.temporaryDirectory("crash")
        let baseline = directory + "/baseline.sqlite"
        let straight = try await CLI.run(["run", playbook, "--journal", baseline])
        try #require(straight.status == 0, "\(straight.stderr)")
        let expected = try JournalFile.open(at: baseline).snapshot()
        let writes = expected.attempts.count * 2
        #expect(writes >= 80)
        for crashAt in 1...writes {
            let journal = directory + "/crash-\(crashAt).sqlite"
            let crashed = try await CLI.run(["run", playbook, "--journal", journal, "--crash-after-journal-writes", "\(crashAt)"],
                                            background: true)
            #expect(crashed.status == 86, "crash after write \(crashAt): \(crashed.stderr)")
            let resumed = try await CLI.run(["resume", journal], background: true)
            #expect(resumed.status == 0, "resume after write \(crashAt): \(resumed.stderr)")
            #expect(resumed.stdout.contains("invariants: all held"))
            let snapshot = try JournalFile.open(at: journal).snapshot()
            #expect(snapshot.status == .succeeded)
            #expect(snapshot.caches.map(\.topology) == expected.caches.map(\.topology), "final topology after a crash at write \(crashAt)")
            expectEachActionDoneOnce(snapshot)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) }
        }
    }

    @Test func aResumeThatCrashesTooIsResumedAgain() async throws {
        let playbook = try Self.playbook(caches: ["pay-weu-2"])
        let journal = try CLI.temporaryDirectory("twice") + "/run.sqlite"
        #expect(try await CLI.run(["run", playbook, "--journal", journal, "--crash-after-journal-writes", "7"]).status == 86)
        #expect(try await CLI.run(["resume", journal, "--crash-after-journal-writes", "6"]).status == 86)
        let status = try await CLI.run(["status", journal])
        #expect(status.stdout.contains("status: interrupted"))
        #expect(status.stdout.contains("half-done"))
        let resumed = try await CLI.run(["resume", journal, "--format", "json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])
        #expect(summary["status"] as? String == "succeeded")
        #expect((summary["failovers"] as? [Any])?.count == 3, "failovers done before the crashes are reported too")
        let snapshot = try JournalFile.open(at: journal).snapshot()
        #expect(snapshot.sessions.map(\.kind) == ["run", "resume", "resume"])
        expectEachActionDoneOnce(snapshot)
        let again = try await CLI.run(["resume", journal])
        #expect(again.status == 0 && again.stderr.contains("already succeeded"))
    }

    @Test func runsInOneGroupAndRegionExcludeEachOtherAndOthersRunConcurrently() async throws {
        let home = try CLI.temporaryDirectory("home")
        let directory = try CLI.temporaryDirectory("locks")
        let first = directory + "/first.sqlite"
        // Paced at 20 simulated seconds per real second, the 5-minute rollout takes 15 s; its first
        // action (3 minutes) is still running when the abort comes.
        let slow = try CLI.start(["run", try Self.playbook(caches: ["pay-weu-1"]), "--journal", first, "--time-scale", "20"], home: home)
        defer { slow.killAndReap() }
        #expect(try await slow.waitForOutput(containing: "maintenance begins"))

        let sameRegion = try await CLI.run(["run", try Self.playbook(caches: ["pay-weu-2"]), "--journal", directory + "/second.sqlite"], home: home)
        #expect(sameRegion.status == 4)
        #expect(sameRegion.stderr.contains("resource group 'rg-payments', region 'westeurope' is under maintenance by another run (pid \(slow.pid)"))
        #expect(sameRegion.stderr.contains(first))
        #expect(!FileManager.default.fileExists(atPath: directory + "/second.sqlite"), "a refused run writes no journal")

        let otherRegion = try await CLI.run(["run", try Self.playbook(caches: ["cat-eus-1"]), "--journal", directory + "/third.sqlite"], home: home)
        #expect(otherRegion.status == 0, "\(otherRegion.stderr)")
        #expect(slow.isRunning, "the two runs overlapped")

        let abort = try await CLI.run(["abort", first], home: home)
        #expect(abort.status == 0 && abort.stdout.contains("abort requested: pid \(slow.pid)"))
        #expect(await slow.finish() == 3)
        #expect(try await CLI.run(["status", first], home: home).stdout.contains("status: aborted"))
        let resumed = try await CLI.run(["resume", first], home: home)
        #expect(resumed.status == 0, "\(resumed.stderr)")

        let history = try await CLI.run(["history"], home: home)
        #expect(history.stdout.contains(first) && history.stdout.contains(directory + "/third.sqlite"))
    }

    @Test func aLockWhoseHolderDiedIsTakenOver() async throws {
        let home = try CLI.temporaryDirectory("home")
        let directory = try CLI.temporaryDirectory("stale")
        let killed = try CLI.start(["run", try Self.playbook(caches: ["pay-weu-1"]), "--journal", directory + "/killed.sqlite",
                                    "--time-scale", "30"], home: home)
        #expect(try await killed.waitForOutput(containing: "maintenance begins"))
        kill(killed.pid, SIGKILL)
        // Not reaped yet, as under a parent that never waits (a shell, a container's init): a
        // zombie holds no lock and runs no rollout.
        for _ in 0..<200 where !LiveCluster.isZombie(killed.pid) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(LiveCluster.isZombie(killed.pid))
        let next = try await CLI.run(["run", try Self.playbook(caches: ["pay-weu-2"]), "--journal", directory + "/next.sqlite"], home: home)
        #expect(next.status == 0, "\(next.stderr)")
        let resumed = try await CLI.run(["resume", directory + "/killed.sqlite"], home: home)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(await killed.finish() == 128 + SIGKILL)
    }

    @Test func unusableJournalsAreOneClearErrorAndExecuteNothing() async throws {
        let directory = try CLI.temporaryDirectory("bad")
        let journal = directory + "/good.sqlite"
        #expect(try await CLI.run(["run", try Self.playbook(caches: ["pay-weu-2"]), "--journal", journal]).status == 0)
        let data = try #require(FileManager.default.contents(atPath: journal))
        let garbage = directory + "/garbage.sqlite"
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: garbage))
        let truncated = directory + "/truncated.sqlite"
        try data.prefix(100).write(to: URL(fileURLWithPath: truncated))
        let home = try CLI.temporaryDirectory("home")
        #expect(try await CLI.run(["history"], home: home).status == 0)
        let foreign = home + "/maintctl.sqlite"
        let cases = [(directory + "/missing.sqlite", "no such journal"), (directory, "is a directory"),
                     (garbage, "not a readable maintctl journal"), (truncated, "not a readable maintctl journal"),
                     (foreign, "not a maintctl journal")]
        for (path, message) in cases {
            for command in ["resume", "status", "abort"] {
                let result = try await CLI.run([command, path], home: home)
                #expect(result.status == 2, "\(command) \(path)")
                #expect(result.stderr.contains("error: \(path): \(message)"), "\(command): \(result.stderr)")
                #expect(!result.stderr.contains("Fatal error") && result.stdout.isEmpty)
            }
        }
    }

    @Test func resumeRunsTheJournaledPlanWithoutItsPlaybook() async throws {
        let playbook = try Self.playbook(caches: ["pay-weu-2"])
        let journal = try CLI.temporaryDirectory("changed") + "/run.sqlite"
        #expect(try await CLI.run(["run", playbook, "--journal", journal, "--crash-after-journal-writes", "5"]).status == 86)
        try FileManager.default.removeItem(atPath: playbook)
        let result = try await CLI.run(["resume", journal])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("succeeded"))
    }

    @Test func journalsAreReadableOnlyByTheirOwner() async throws {
        let journal = try CLI.temporaryDirectory("mode") + "/run.sqlite"
        #expect(try await CLI.run(["run", try Self.playbook(caches: ["pay-weu-2"]), "--journal", journal]).status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: journal)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}

/// `maintctl rollback` on the simulated backend.
@Suite struct RollbackCommandLineTests {
    /// Each copy by shard, node and role, and the leader: what must be as it was before the rollout.
    static func layout(_ topology: CacheTopology) -> [String] {
        let nodes = topology.liveNodes.map { "\($0.id)@\($0.version)" }.sorted()
        let copies = topology.shards.flatMap { shard in shard.copies.map { "\(shard.id):\($0.node):\($0.role.rawValue)" } }.sorted()
        return ["leader \(topology.leader ?? "none")"] + nodes + copies
    }

    /// Crashes after intents (odd) and outcomes (even) all along the rollout's ~108 journal
    /// writes: a rollback planned through the step plugins from wherever it stopped (a move cut
    /// short included) restores the layout.
    @Test(arguments: Array(stride(from: 6, through: 100, by: 8)))
    func aRolloutInterruptedHalfwayRollsBackToItsStartingLayout(crashAt: Int) async throws {
        let playbook = try JournalCommandLineTests.playbook(caches: ["pay-weu-1", "cat-eus-1"])
        let journal = try CLI.temporaryDirectory("rollback") + "/run.sqlite"
        #expect(try await CLI.run(["run", playbook, "--journal", journal, "--crash-after-journal-writes", "\(crashAt)"],
                                  background: true).status == 86)
        let rollback = try await CLI.run(["rollback", journal, "--format", "json"], background: true)
        #expect(rollback.status == 0, "\(rollback.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(rollback.stdout.utf8)) as? [String: Any])
        #expect(summary["status"] as? String == "succeeded")
        #expect((summary["invariant_violations"] as? [Any])?.isEmpty == true)

        let inventory = try InventoryLoader.load(path: CLI.packageRoot + "/Playbooks/inventories/demo-fleet.yaml")
        let rollbackJournal = journal.replacingOccurrences(of: ".sqlite", with: "-rollback.sqlite")
        // The caches run side by side, so a crash at write N can find one cache's delete_vms done and
        // the other's create_vms not begun: nothing to roll back, and the untouched cache is as it was.
        guard FileManager.default.fileExists(atPath: rollbackJournal) else {
            #expect(rollback.stderr.contains("nothing to roll back"))
            #expect((summary["caches"] as? [Any])?.isEmpty == true)
            let rollout = try JournalFile.open(at: journal).snapshot()
            let kept = Set(rollout.attempts.filter { $0.plugin == "delete_vms" }.map(\.cache))
            for record in rollout.caches where !kept.contains(record.cache) {
                let before = try #require(inventory.cache(record.cache))
                #expect(Self.layout(record.topology) == Self.layout(CacheTopology(before)), "\(record.cache) is as it was")
            }
            return
        }
        let undone = try JournalFile.open(at: rollbackJournal).snapshot()
        for record in undone.caches {
            let before = try #require(inventory.cache(record.cache))
            #expect(Self.layout(record.topology) == Self.layout(CacheTopology(before)), "\(record.cache) is as it was")
            #expect(record.topology.nodes.filter { $0.version == "7.2.5" }.allSatisfy { $0.lifecycle == .deleted })
        }
        // A cache whose delete_vms ran is kept as patched; then the rollout as a whole is not rolled back.
        if rollback.stderr.contains("is kept as it is") {
            #expect(try JournalFile.open(at: journal).snapshot().status != .rolledBack)
        } else {
            #expect(try JournalFile.open(at: journal).snapshot().status == .rolledBack)
            let resume = try await CLI.run(["resume", journal])
            #expect(resume.status == 2 && resume.stderr.contains("was rolled back"))
        }
    }

    @Test func aCacheWhoseOldNodesAreDeletedIsKept() async throws {
        let playbook = try JournalCommandLineTests.playbook(caches: ["pay-weu-2"])
        let journal = try CLI.temporaryDirectory("kept") + "/run.sqlite"
        #expect(try await CLI.run(["run", playbook, "--journal", journal]).status == 0)
        let rollback = try await CLI.run(["rollback", journal])
        #expect(rollback.status == 0)
        #expect(rollback.stderr.contains("pay-weu-2 is kept as it is: its delete_vms step ran"))
        #expect(rollback.stdout.contains("nothing to roll back"))
        #expect(try JournalFile.open(at: journal).snapshot().status == .succeeded)
        // As JSON: a summary like any other, with nothing in it.
        let json = try await CLI.run(["rollback", journal, "--format", "json"])
        #expect(json.status == 0)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        #expect(summary["status"] as? String == "succeeded" && (summary["caches"] as? [Any])?.isEmpty == true)
        #expect(json.stderr.contains("nothing to roll back"))
    }
}

import ContainerBackend
import Foundation
import ProcessBackend
import Testing

/// The process backend through the CLI, against real redis-server processes.
@Suite(.serialized) struct ProcessCommandLineTests {
    struct Copy: Decodable {
        var node: String
        var version: String
        var shard: String
        var role: String
        var port: Int
        var pid: Int32
        var healthy: Bool
    }

    struct Node: Decodable {
        var node: String
        var endpoint: String?
        var pid: Int32?
        var running: Bool
    }

    struct Status: Decodable {
        var nodes: [Node]
        var copies: [Copy]
    }

    func fullStatus(_ state: String) async throws -> Status {
        let result = try await CLI.run(["cluster", "status", "--state", state, "--format", "json"])
        return try JSONDecoder().decode(Status.self, from: Data(result.stdout.utf8))
    }

    func status(_ state: String) async throws -> [Copy] {
        try await fullStatus(state).copies
    }

    /// Starts local-cluster.yaml on `backend` (`process` or `container`), runs `body`, and
    /// always stops it, checking no process is left.
    func withCluster(_ backend: String = "process", _ body: (String) async throws -> Void) async throws {
        let state = CLI.scratch + "maintctl-cli-cluster-\(UUID().uuidString)"
        let up = try await CLI.run(["cluster", "up", "Playbooks/inventories/local-cluster.yaml", "--backend", backend, "--state", state])
        try #require(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("cluster_state:ok"))
        // A container cluster's nodes, found again after `down` by the cluster's label.
        let record = try ProcessBackend.hostRecord(in: state)
        let containers = record.kind == "container" ? try ContainerHost(record: record, directory: state) : nil
        var pids: Set<Int32> = []
        do {
            try await body(state)
            let status = try await fullStatus(state)
            pids = Set(status.copies.map(\.pid) + status.nodes.compactMap(\.pid))
        } catch {
            let status = try? await fullStatus(state)
            pids = Set((status?.copies.map(\.pid) ?? []) + (status?.nodes.compactMap(\.pid) ?? []))
            _ = try? await CLI.run(["cluster", "down", "--state", state])
            throw error
        }
        let down = try await CLI.run(["cluster", "down", "--state", state])
        #expect(down.status == 0)
        #expect(!FileManager.default.fileExists(atPath: state))
        let left = pids.filter { Self.alive($0) }
        #expect(left.isEmpty, "no process of the cluster is left")
        #expect(Self.processes(runningIn: state).isEmpty, "no process started in the state directory is left")
        if let containers { #expect(try await containers.containers().isEmpty, "no container of the cluster is left") }
    }

    /// Live processes whose working directory is under `directory` (redis-server runs in its copy's directory).
    static func processes(runningIn directory: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard alive(pid), let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd.hasPrefix(directory) || cwd.hasPrefix("/private" + directory)
        }
    }

    static func alive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true)
    }

    /// Every shard has exactly one primary and every attached copy is healthy (a copy whose
    /// start was cut short by a kill may be left unattached, holding nothing).
    func expectConsistent(_ state: String) async throws {
        let copies = try await status(state)
        #expect(copies.allSatisfy { $0.healthy || $0.role == "unattached" })
        for shard in Set(copies.map(\.shard)) {
            #expect(copies.filter { $0.shard == shard && $0.role == "primary" }.count == 1, "one primary for \(shard)")
        }
    }

    @Test(arguments: ["process", "container"])
    func rollingPatchWithTheProbe(backend: String) async throws {
        try await withCluster(backend) { state in
            // The other backend is refused, and nothing runs.
            let other = backend == "process" ? "container" : "process"
            let refused = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", other, "--state", state])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("holds a cluster of the \(backend) backend; use --backend \(backend)"), "\(refused.stderr)")
            let journal = try CLI.temporaryDirectory("probe") + "/run.sqlite"
            let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", backend, "--state", state,
                                      "--probe", "--format", "json", "--journal", journal])
            #expect(result.status == 0, "\(result.stderr)")
            // The report shows what the probe measured.
            let report = try await CLI.run(["report", journal, "--format", "json"])
            let reported = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            let impact = try #require(reported["client_impact"] as? [String: Any], "\(report.stdout.prefix(500))")
            #expect((impact["writes_acknowledged"] as? Int ?? 0) > 0 && impact["acknowledged_writes_lost"] as? Int == 0)
            #expect(reported["acknowledged_writes_lost"] as? Int == 0)
            let page = try await CLI.run(["report", journal])
            #expect(page.stdout.contains("<th>Write latency</th><td>p50 ") && page.stdout.contains("<th>Acknowledged writes lost</th><td>0</td>"))
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(summary["status"] as? String == "succeeded")
            #expect(summary["backend"] as? String == backend)
            #expect(summary["acknowledged_writes_lost"] as? Int == 0, "\(result.stdout)")
            #expect((summary["client_impact"] as? [String: Any])?["acknowledged_writes_unverified"] as? Int == 0)
            #expect(summary["client_errors"] is [String: Int])
            let failovers = try #require(summary["failovers"] as? [[String: Any]])
            #expect(failovers.compactMap { $0["shard"] as? String }.sorted() == ["s1", "s2", "s3"])
            // Never stuck (< 5 s); their speed is Benchmarks/handoff's, not a loaded machine's.
            #expect(failovers.allSatisfy { ($0["unavailable_ms"] as? Int ?? 9999) < 5000 })
            try await expectConsistent(state)
            #expect(try await status(state).allSatisfy { $0.version == "7.2.5" && $0.node.hasSuffix("-7.2.5") })
            // Each replacement's endpoint serves the address of the node it replaced, and says so.
            let text = try await CLI.run(["cluster", "status", "--state", state])
            #expect(text.stdout.components(separatedBy: "ok, also serves 127.0.0.1:").count - 1 == 3, "\(text.stdout)")
        }
    }

    @Test func aPlanFileAppliesOnceAndThenIsRefusedAsStale() async throws {
        try await withCluster { state in
            let directory = try CLI.temporaryDirectory("stale")
            let home = try CLI.temporaryDirectory("home")
            let plan = directory + "/plan.json"
            let planned = try await CLI.run(["plan", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state, "-o", plan], home: home)
            try #require(planned.status == 0, "\(planned.stderr)")
            // Predicted from the process backend's own timings, not the cloud's (4m32s for this cluster).
            #expect(planned.stdout.contains("(from the process backend's timing model)"), "\(planned.stdout)")
            let predicted = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plan))) as? [String: Any])
            #expect((predicted["predicted_duration_ms"] as? Int ?? 0) < 60_000, "\(predicted["predicted_duration_ms"] ?? "")")
            let applied = try await CLI.run(["run", "--plan", plan, "--backend", "process", "--state", state,
                                             "--journal", directory + "/first.sqlite", "--format", "json"], home: home)
            #expect(applied.status == 0, "\(applied.stderr)")
            // The summary a run of the playbook gives on this cluster: every shard failed over once, in under a second.
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(applied.stdout.utf8)) as? [String: Any])
            #expect(summary["status"] as? String == "succeeded" && summary["backend"] as? String == "process")
            let failovers = try #require(summary["failovers"] as? [[String: Any]])
            #expect(failovers.compactMap { $0["shard"] as? String }.sorted() == ["s1", "s2", "s3"])
            // Never stuck (< 5 s); their speed is Benchmarks/handoff's, not a loaded machine's.
            #expect(failovers.allSatisfy { ($0["unavailable_ms"] as? Int ?? 9999) < 5000 })
            #expect(summary["nodes_replaced"] as? Int == 3)
            try await expectConsistent(state)
            let patched = try await status(state)
            #expect(patched.allSatisfy { $0.version == "7.2.5" && $0.node.hasSuffix("-7.2.5") })
            // The next plan on this backend learns from the run.
            let replanned = try await CLI.run(["plan", "Playbooks/rolling-restart.yaml", "--backend", "process", "--state", state], home: home)
            #expect(replanned.stdout.contains("the process backend's timing model, refined by "), "\(replanned.stdout)")
            #expect(replanned.stdout.contains(" of 1 earlier run on it)"), "\(replanned.stdout)")
            // The same plan again: the nodes it drains are gone; refused, naming each change, and nothing runs.
            let again = try await CLI.run(["run", "--plan", plan, "--backend", "process", "--state", state,
                                           "--journal", directory + "/second.sqlite"])
            #expect(again.status == 2, "\(again.stderr)")
            for node in ["node-1", "node-2", "node-3"] {
                #expect(again.stderr.contains("the cluster changed since the plan was made: cache 'local': node '\(node)' is gone"), "\(again.stderr)")
            }
            #expect(again.stderr.contains("nothing was executed"))
            #expect(!FileManager.default.fileExists(atPath: directory + "/second.sqlite"))
            let after = try await status(state)
            #expect(Set(after.map(\.pid)) == Set(patched.map(\.pid)), "no server was touched")
        }
    }

    @Test func ctrlCStopsAfterTheActionInFlight() async throws {
        try await withCluster { state in
            let running = try CLI.start(["run", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state])
            #expect(try await running.waitForOutput(containing: "migrate_shards"))
            kill(running.pid, SIGINT)
            #expect(await running.finish() == 3, "\(running.stderr)")
            #expect(running.stdout.contains("Summary: aborted on process"))
            #expect(running.stderr.contains("stopping after the action in flight"))
            try await expectConsistent(state)
        }
    }

    /// While one maintctl changes a cluster, another (even with a home of its own, so none of
    /// the home's locks) is refused before it does anything; readers go on; once the first is
    /// gone, however it ended, the cluster is free again.
    @Test func aSecondMaintctlOnTheSameClusterIsRefusedWhateverItsHome() async throws {
        try await withCluster { state in
            let running = try CLI.start(["run", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state],
                                        home: try CLI.temporaryDirectory("home-a"))
            defer { running.killAndReap() } // on a failure here: it holds the cluster, which `cluster down` needs
            #expect(try await running.waitForOutput(containing: "migrate_shards"))
            // Held still mid-rollout (a replica move: no failover's pause is running out).
            kill(running.pid, SIGSTOP)
            let before = try await status(state)
            let otherHome = try CLI.temporaryDirectory("home-b")
            let busy = "another maintctl (pid \(running.pid), maintctl run) is changing the cluster in "
            for command in [["run", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state],
                            ["plan", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state],
                            ["cluster", "down", "--state", state]] {
                let refused = try await CLI.run(command, home: otherHome)
                #expect(refused.status == 4, "\(command): \(refused.stderr)")
                #expect(refused.stderr.contains(busy), "\(command): \(refused.stderr)")
                #expect(!refused.stderr.contains("Fatal error"))
            }
            let read = try await CLI.run(["cluster", "status", "--state", state, "--format", "json"], home: otherHome)
            // A reader is not refused (it exits 1 here: mid-move, a new copy is not in sync yet).
            #expect(!read.stderr.contains("changing the cluster"), "\(read.stderr)")
            #expect((try? JSONDecoder().decode(Status.self, from: Data(read.stdout.utf8)))?.copies.isEmpty == false, "\(read.stdout)")
            #expect(Set(try await status(state).map(\.pid)) == Set(before.map(\.pid)), "nothing was touched")
            kill(running.pid, SIGCONT)
            #expect(await running.finish() == 0, "\(running.stderr)")
            #expect(try await status(state).allSatisfy { $0.version == "7.2.5" && $0.healthy })
            // Killed, it holds nothing: the next maintctl goes ahead at once.
            let killed = try CLI.start(["run", try Self.patch(to: "7.0.15"), "--backend", "process", "--state", state],
                                       home: try CLI.temporaryDirectory("home-c"))
            defer { killed.killAndReap() }
            #expect(try await killed.waitForOutput(containing: "migrate_shards"))
            kill(killed.pid, SIGKILL)
            _ = await killed.finish()
            let planned = try await CLI.run(["plan", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state], home: otherHome)
            #expect(planned.status == 0, "\(planned.stderr)")
        }
    }

    /// The rolling patch to `version`, as a playbook file of its own.
    static func patch(to version: String) throws -> String {
        let text = try String(contentsOfFile: CLI.packageRoot + "/Playbooks/rolling-patch.yaml", encoding: .utf8)
            .replacingOccurrences(of: "inventory: inventories/", with: "inventory: \(CLI.packageRoot)/Playbooks/inventories/")
            .replacingOccurrences(of: "target_version: \"7.2.5\"", with: "target_version: \"\(version)\"")
        return try CLI.temporaryFile(text, name: "patch-\(version).yaml")
    }

    @Test(arguments: ["process", "container"])
    func maintctlKilledAtTenRandomMomentsThenResumedCompletesAndLosesNoWrite(backend: String) async throws {
        try await withCluster(backend) { state in
            let home = try CLI.temporaryDirectory("home")
            // A client of its own process, writing through every kill and resume.
            let probe = try CLI.start(["probe", "--state", state, "--duration", "600s", "--format", "json"], home: home)
            defer { probe.killAndReap() }
            try await Task.sleep(for: .seconds(1))
            var generator = SeededGenerator(seed: 20261125)
            var kills = 0
            // The first rollout runs whole, to time one on this machine; then nine rollouts back and
            // forth between two versions, each killed at a random moment of that time and resumed.
            var rollout = Duration.seconds(2)
            for trial in 0..<10 {
                let version = trial.isMultiple(of: 2) ? "7.2.5" : "7.0.15"
                let journal = home + "/rollout-\(trial).sqlite"
                let running = try CLI.start(["run", try Self.patch(to: version), "--backend", backend, "--state", state,
                                             "--journal", journal], home: home)
                #expect(try await running.waitForOutput(containing: "rolling-patch:"))
                let started = ContinuousClock.now
                var slept = Duration.zero
                if trial > 0 {
                    slept = rollout * Double.random(in: 0...0.9, using: &generator)
                    try await Task.sleep(for: slept)
                }
                if trial > 0, running.isRunning {
                    kill(running.pid, SIGKILL)
                    // A rollout that ends as the signal comes exits as it would have (0): not cut short.
                    let ended = await running.finish()
                    #expect(ended == 128 + SIGKILL || ended == 0, "trial \(trial): \(running.stderr)")
                    if ended == 128 + SIGKILL {
                        kills += 1
                        // Cut short anywhere, a copy being retired may be down; no shard is without its primary.
                        let copies = try await status(state)
                        for shard in Set(copies.map(\.shard)) {
                            #expect(copies.filter { $0.shard == shard && $0.role == "primary" }.count == 1, "trial \(trial): one primary for \(shard)")
                        }
                        let resumed = try await CLI.run(["resume", journal], home: home)
                        #expect(resumed.status == 0, "trial \(trial): \(resumed.stderr)\(resumed.stdout)")
                    }
                } else {
                    #expect(await running.finish() == 0, "\(running.stderr)")
                    // Over before its kill: rollouts now take less than that (the first one, cold,
                    // took longest), and the next kills come within the shorter time.
                    rollout = trial == 0 ? ContinuousClock.now - started : min(rollout, slept)
                }
                try await expectConsistent(state)
                let copies = try await status(state)
                #expect(copies.count == 6 && copies.allSatisfy { $0.version == version && $0.healthy },
                        "trial \(trial): every copy on a \(version) node: \(copies)")
                let orphans = Set(Self.processes(runningIn: state)).subtracting(copies.map(\.pid))
                #expect(orphans.isEmpty, "trial \(trial): no process the cluster does not know")
            }
            #expect(kills >= 6, "most rollouts were killed in flight (\(kills) of 9, a rollout taking \(rollout))")
            kill(probe.pid, SIGINT)
            #expect(await probe.finish() == 0, "\(probe.stdout)\(probe.stderr)")
            let impact = try #require(try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any])
            #expect(impact["acknowledged_writes_lost"] as? Int == 0, "\(probe.stdout)")
            #expect((impact["writes_acknowledged"] as? Int ?? 0) > 5000)
        }
    }

    @Test func aRolloutKilledAfterItsFirstFailoverRollsBackUnderTheProbe() async throws {
        try await withCluster { state in
            let (home, probe) = try await rolloutKilledAfterItsFirstFailover(on: state)
            defer { probe.killAndReap() }
            let rollback = try await CLI.run(["rollback", home + "/rollout.sqlite"], home: home)
            #expect(rollback.status == 0, "\(rollback.stderr)")
            #expect(rollback.stdout.contains("planned failover"))
            try await expectRolledBack(state, probe: probe)
        }
    }

    /// The rollback has a journal of its own: killed in its turn, after its first move, it is
    /// resumed, and the cache ends as it began, with no write lost.
    @Test func aRollbackKilledAfterItsFirstMoveIsResumedUnderTheProbe() async throws {
        try await withCluster { state in
            let (home, probe) = try await rolloutKilledAfterItsFirstFailover(on: state)
            defer { probe.killAndReap() }
            let rollback = try CLI.start(["rollback", home + "/rollout.sqlite"], home: home)
            #expect(try await rollback.waitForOutput(containing: "move s3 (replica"))
            kill(rollback.pid, SIGKILL)
            // A rollback that ends as the signal comes exits as it would have (0): nothing to resume.
            let ended = await rollback.finish()
            #expect(ended == 128 + SIGKILL || ended == 0, "\(rollback.stderr)")
            if ended == 128 + SIGKILL {
                let copies = try await status(state)
                for shard in Set(copies.map(\.shard)) {
                    #expect(copies.filter { $0.shard == shard && $0.role == "primary" }.count == 1, "one primary for \(shard)")
                }
                let resumed = try await CLI.run(["resume", home + "/rollout-rollback.sqlite"], home: home)
                #expect(resumed.status == 0, "\(resumed.stderr)")
            }
            try await expectRolledBack(state, probe: probe)
        }
    }

    /// Starts a probe writing to the cluster in `state` and a rolling patch (journal
    /// `rollout.sqlite` in the returned home), which is SIGKILLed right after its first failover.
    private func rolloutKilledAfterItsFirstFailover(on state: String) async throws -> (home: String, probe: CLI.Running) {
        let home = try CLI.temporaryDirectory("home")
        let probe = try CLI.start(["probe", "--state", state, "--duration", "600s", "--format", "json"], home: home)
        do {
            try await Task.sleep(for: .seconds(1))
            let running = try CLI.start(["run", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state,
                                         "--journal", home + "/rollout.sqlite"], home: home)
            #expect(try await running.waitForOutput(containing: "move s1 (primary"))
            kill(running.pid, SIGKILL)
            _ = await running.finish()
            return (home, probe)
        } catch {
            probe.killAndReap()
            throw error
        }
    }

    /// The cache is back as it began: every copy on its old node and healthy, the primaries where
    /// they were, no server of the new nodes left; the probe, stopped, lost no acknowledged write.
    private func expectRolledBack(_ state: String, probe: CLI.Running) async throws {
        try await expectConsistent(state)
        let copies = try await status(state)
        #expect(copies.count == 6 && copies.allSatisfy { $0.version == "7.0.15" && $0.healthy }, "\(copies)")
        let primaries = Dictionary(copies.filter { $0.role == "primary" }.map { ($0.shard, $0.node) }, uniquingKeysWith: { first, _ in first })
        #expect(primaries == ["s1": "node-1", "s2": "node-2", "s3": "node-3"], "primaries back where they were")
        let orphans = Set(Self.processes(runningIn: state)).subtracting(copies.map(\.pid))
        #expect(orphans.isEmpty, "the new nodes' servers are gone")
        kill(probe.pid, SIGINT)
        #expect(await probe.finish() == 0, "\(probe.stdout)\(probe.stderr)")
        let impact = try #require(try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any])
        #expect(impact["acknowledged_writes_lost"] as? Int == 0, "\(probe.stdout)")
    }

    @Test func aMissingRedisServerIsOneClearError() async throws {
        let state = NSTemporaryDirectory() + "maintctl-cli-missing-\(UUID().uuidString)"
        let result = try await CLI.run(["cluster", "up", "Playbooks/inventories/local-cluster.yaml", "--state", state,
                                  "--redis-server", "/nonexistent/redis-server"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("redis-server binary '/nonexistent/redis-server' is not an executable file"))
        #expect(!result.stderr.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    @Test(arguments: ["process", "container"])
    func aLiveBackendNeedsAState(backend: String) async throws {
        let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", backend])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--backend \(backend) acts on a live cluster: pass --state DIR"))
    }

    @Test(arguments: [
        (["--backend", "container", "--binary", "7.0.15=/usr/bin/redis-server"], "--binary is for --backend process"),
        (["--backend", "process", "--image", "7.0.15=redis:7"], "--image is for --backend container"),
        (["--backend", "container", "--image", "7.0.15"], "take VERSION=VALUE, got '7.0.15'"),
        (["--backend", "vm"], "cluster up supports --backend process, container or ssh, not 'vm'"),
    ])
    func clusterUpRefusesFlagsOfTheOtherBackend(flags: [String], message: String) async throws {
        let state = NSTemporaryDirectory() + "maintctl-cli-flags-\(UUID().uuidString)"
        let result = try await CLI.run(["cluster", "up", "Playbooks/inventories/local-cluster.yaml", "--state", state] + flags)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state))
    }
}

/// A small deterministic generator, so a failing schedule of kills can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

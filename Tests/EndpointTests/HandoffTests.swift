import Foundation
import LiveClusterSupport
import Logging
import MaintenanceKit
import ProcessBackend
import Testing

/// Plain clients (redis-py 8, no cluster support) connected to the endpoint of a node that the
/// rolling patch deletes: failovers are held, not failed; clients that asked for maintenance
/// notifications move to the replacement before the old endpoint closes and see no error.
@Suite(.serialized) struct HandoffTests {
    @Test(arguments: LiveCluster.Nodes.allCases)
    func clientsOfADeletedNodeSeeNoError(nodes: LiveCluster.Nodes) async throws {
        var inventory = try InventoryLoader.load(path: LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
        inventory.caches[0].endpoints = EndpointPolicy(holdLimitMilliseconds: 5000, movingGraceSeconds: 10)
        try await LiveCluster.with(nodes, inventory: inventory) { cluster in
            let before = await cluster.backend.endpointStatus()
            let first = try #require(before.first { $0.node == "node-1" }?.endpoint)
            let last = try #require(before.first { $0.node == "node-3" }?.endpoint)
            let scratch = LiveCluster.scratch + "maintctl-handoff-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let stop = scratch + "/stop"
            let common = ["--endpoint", first, "--stop-file", stop, "--ready-file"]
            async let notified = ClientScript.run("handoff_client.py", common + ["\(scratch)/resp3", "--protocol", "3", "--notifications", "on", "--expect-notifications"])
            async let plain = ClientScript.run("handoff_client.py", common + ["\(scratch)/resp2", "--protocol", "2", "--retry", "--allow-connection-errors"])
            let summary: RolloutSummary
            let benchmarks: BenchmarkRuns
            do {
                try await Self.waitForFiles(["\(scratch)/resp3", "\(scratch)/resp2"])
                (summary, benchmarks) = try await Self.rollingPatch(cluster, benchmarking: last, until: "node-3")
                _ = FileManager.default.createFile(atPath: stop, contents: nil)
            } catch {
                _ = FileManager.default.createFile(atPath: stop, contents: nil)
                _ = try? await (notified, plain)
                throw error
            }
            let (resp3, resp2) = try await (notified, plain)
            #expect(summary.status == .succeeded, "\(summary.caches.first?.error ?? "")")
            #expect(summary.failovers.map(\.shard).sorted() == ["s1", "s2", "s3"])

            // Notified: no error at all, nothing lost, every kind of notification, moved early.
            for check in resp3.checks { #expect(check.ok, "RESP3 with notifications: \(check) \(resp3.stderr)") }
            #expect(resp3.checks.count == 5, "\(resp3.stderr)")
            // Not notified: errors at most when its endpoint closed, each retried with success; nothing lost.
            for check in resp2.checks { #expect(check.ok, "RESP2: \(check) \(resp2.stderr)") }
            let movedNotified = try #require(resp3.checks.first { $0.check == "moved" }?.value)
            let movedPlain = try #require(resp2.checks.first { $0.check == "moved" }?.value)
            #expect(movedPlain - movedNotified > 2, "the notified client moved when told (\(movedNotified)), the other when its endpoint closed 10 s later (\(movedPlain))")
            let gap = resp3.checks.first { $0.check == "gap" }?.value ?? -1
            print("handoff (\(nodes)): the notified client's longest write gap \(Int(gap)) ms; the plain client's \(Int(resp2.checks.first { $0.check == "gap" }?.value ?? -1)) ms")

            // redis-benchmark through the endpoint of the last node drained, run after run through
            // every failover: from before the rollout began until that node left the cluster.
            #expect(benchmarks.lastedUntilTheNodeLeft && !benchmarks.runs.isEmpty,
                    "redis-benchmark ran \(benchmarks.runs.count) times; until the node left: \(benchmarks.lastedUntilTheNodeLeft)")
            for run in benchmarks.runs {
                #expect(run.status == 0 && !(run.stdout + run.stderr).contains("rror"), "redis-benchmark: \(run.stdout) \(run.stderr)")
            }
            // node-1's address is served by its replacement's endpoint.
            let after = await cluster.backend.endpointStatus()
            #expect(after.contains { $0.node == "node-1-7.2.5" && $0.running && $0.addresses.contains(first) }, "\(after)")
            #expect(!after.contains { $0.node == "node-1" && $0.running })
        }
    }

    /// The redis-benchmark runs made while a rollout ran, and whether they went on until the node
    /// they waited for had left (rather than ending at the bound on their number).
    struct BenchmarkRuns {
        var runs: [Program.Ran] = []
        var lastedUntilTheNodeLeft = false
    }

    /// Runs the rolling patch on `cluster` in this process while redis-benchmark runs again and
    /// again through `endpoint`, until the node `until` has left.
    static func rollingPatch(_ cluster: LiveCluster, benchmarking endpoint: String, until node: String) async throws -> (RolloutSummary, BenchmarkRuns) {
        let loaded = try PlaybookLoader(registry: LiveCluster.registry).load(
            path: LiveCluster.packageRoot + "/Playbooks/rolling-patch.yaml",
            inventoryOverride: LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
        let plan = try Planner(registry: LiveCluster.registry).plan(loaded.playbook, inventory: try await cluster.backend.currentInventory())
        let runtime = try RolloutRuntime(plan: plan, registry: LiveCluster.registry, backend: cluster.backend,
                                         options: RolloutOptions(reporter: Silent(), stop: StopSignal(), logger: Logger(label: "test")))
        let port = String(endpoint.split(separator: ":").last ?? "")
        let backend = cluster.backend
        return try await withThrowingTaskGroup(of: BenchmarkRuns.self) { group in
            group.addTask {
                var benchmarks = BenchmarkRuns()
                for _ in 0..<500 {
                    let left = await backend.endpointStatus().first { $0.node == node }.map { $0.lifecycle != "active" && $0.lifecycle != "draining" } ?? true
                    if left {
                        benchmarks.lastedUntilTheNodeLeft = true
                        break
                    }
                    // Short runs with pauses: a load of its own, not one that starves the other tests.
                    benchmarks.runs.append(try await Program.run("redis-benchmark", ["-h", "127.0.0.1", "-p", port, "-c", "2", "-n", "600", "-r", "10000",
                                                                          "-t", "set,get", "-q"], limit: .seconds(60)))
                    try await Task.sleep(for: .milliseconds(100))
                }
                return benchmarks
            }
            let summary = await runtime.run()
            let benchmarks = try await group.next() ?? BenchmarkRuns()
            return (summary, benchmarks)
        }
    }

    static func waitForFiles(_ paths: [String]) async throws {
        for _ in 0..<600 where !paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(paths.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "the clients did not start writing within 30 s")
    }
}

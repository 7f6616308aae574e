import Foundation
import MaintenanceKit
import SimulatedBackend
import Synchronization
import Testing

/// Retries, time limits and stops, driven through the runtime on the simulated backend.
@Suite struct RuntimeBehaviourTests {
    @Test func retriesAFailedMigrationWithoutDoingItTwice() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/local-cluster.yaml")
        let flaky = FlakyBackend(base: SimulatedBackend(inventory: loaded.inventory), failingSyncs: 1)
        let (plan, summary, backend) = try await Rollouts.run(loaded, backend: flaky)
        #expect(flaky.failuresInjected == 1)
        #expect(summary.status == .succeeded)
        #expect(summary.failovers.count == plan.expectedFailovers.count)
        let topology = try await backend.topology(of: "local")
        #expect(Invariants.check(topology).isEmpty)
        #expect(topology.shards.allSatisfy { $0.copies.count == 2 })
    }

    @Test func aMigrationThatFailsEveryAttemptStopsTheCacheConsistent() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/local-cluster.yaml")
        // The playbook allows one retry: two failures in a row end the rollout.
        let flaky = FlakyBackend(base: SimulatedBackend(inventory: loaded.inventory), failingSyncs: 2)
        let (_, summary, backend) = try await Rollouts.run(loaded, backend: flaky)
        #expect(summary.status == .failed)
        #expect(summary.caches.first?.error?.contains("replication link of") == true)
        let topology = try await backend.topology(of: "local")
        #expect(Invariants.check(topology).isEmpty)
        #expect(topology.node("node-1")?.lifecycle == .draining)
        #expect(topology.shards.allSatisfy { ["node-1", "node-2", "node-3"].contains($0.primaryNode ?? "") })
    }

    @Test func aStepPastItsTimeLimitFailsAndLeavesTheCacheConsistent() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/local-cluster.yaml")
        // Syncs that hang for two hours meet migrate_shards' one-hour limit.
        let slow = FlakyBackend(base: SimulatedBackend(inventory: loaded.inventory), failingSyncs: 0, syncDelay: .seconds(7200))
        let (_, summary, backend) = try await Rollouts.run(loaded, backend: slow)
        #expect(summary.status == .failed)
        #expect(summary.caches.first?.error?.contains("timed out after 1h00m") == true, "\(summary.caches.first?.error ?? "")")
        let topology = try await backend.topology(of: "local")
        #expect(Invariants.check(topology).isEmpty)
        #expect(topology.shards.allSatisfy { ["node-1", "node-2", "node-3"].contains($0.primaryNode ?? "") })
    }

    @Test func aPlanThatCannotMeetAStepTimeoutIsRefused() throws {
        let path = NSTemporaryDirectory() + "timeout-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
            name: too-impatient
            steps:
              - step: create_vms
                with: { version: "9" }
              - for_each: old_node
                steps:
                  - step: migrate_shards
                    timeout: 1s
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try PlaybookLoader(registry: Rollouts.registry)
            .load(path: path, inventoryOverride: Rollouts.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
        #expect {
            _ = try Planner(registry: Rollouts.registry).plan(loaded.playbook, inventory: loaded.inventory)
        } throws: { error in
            "\(error)".contains("\(path):7:9: error: step 'migrate_shards' in cache 'local': 'move s3 (replica, 64 MB) node-1 → node-1-9' is predicted to take")
        }
    }

    @Test func aStopLetsTheActionInFlightFinishAndStartsNothingNew() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml")
        let stop = StopSignal()
        let reporter = StopAfter(actions: 5, stop: stop)
        let (plan, summary, backend) = try await Rollouts.run(loaded, stop: stop, reporter: reporter)
        #expect(summary.status == .aborted)
        #expect(summary.invariantViolations.isEmpty)
        let completed = summary.caches.reduce(0) { $0 + $1.actionsCompleted }
        #expect(completed >= 5 && completed < plan.actionCount)
        #expect(summary.caches.contains { $0.status == .stopped && $0.stoppedAt?.hasPrefix("before ") == true })
        #expect(summary.caches.contains { $0.status == .skipped })
        for cache in plan.caches {
            #expect(Invariants.check(try await backend.topology(of: cache.cache)).isEmpty)
        }
    }
}

/// Requests a stop once `actions` actions have finished.
final class StopAfter: RolloutReporter {
    let actions: Int
    let stop: StopSignal
    let finished = Mutex(0)

    init(actions: Int, stop: StopSignal) {
        self.actions = actions
        self.stop = stop
    }

    func report(_ event: RolloutEvent) {
        guard case .actionFinished = event else { return }
        let count = finished.withLock { value -> Int in
            value += 1
            return value
        }
        if count >= actions { stop.request() }
    }
}

/// A backend whose first `failingSyncs` syncs fail, as a flaky network would make them, and
/// whose syncs take `syncDelay` longer.
final class FlakyBackend: Backend {
    static let descriptor = BackendDescriptor(id: "flaky", summary: "simulated, with failing syncs")
    let base: SimulatedBackend
    private let remaining: Mutex<Int>
    private let injected = Mutex(0)
    private let syncDelay: Duration

    init(base: SimulatedBackend, failingSyncs: Int, syncDelay: Duration = .zero) {
        self.base = base
        self.remaining = Mutex(failingSyncs)
        self.syncDelay = syncDelay
    }

    var failuresInjected: Int { injected.withLock { $0 } }
    var clock: any RolloutClock { base.clock }

    func topology(of cache: String) async throws -> CacheTopology { try await base.topology(of: cache) }
    func beginMaintenance(of cache: String) async throws { try await base.beginMaintenance(of: cache) }
    func endMaintenance(of cache: String) async throws { try await base.endMaintenance(of: cache) }
    func createNodes(_ nodes: [NodeSpec], in cache: String) async throws { try await base.createNodes(nodes, in: cache) }
    func electLeader(_ node: String, in cache: String) async throws { try await base.electLeader(node, in: cache) }
    func drainNode(_ node: String, in cache: String) async throws { try await base.drainNode(node, in: cache) }
    func addReplica(of shard: String, on node: String, in cache: String) async throws {
        try await base.addReplica(of: shard, on: node, in: cache)
    }
    func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        let fail = remaining.withLock { value -> Bool in
            guard value > 0 else { return false }
            value -= 1
            return true
        }
        if fail {
            injected.withLock { $0 += 1 }
            throw BackendError(BackendErrorCode("link-reset"), "replication link of \(shard) to \(node) reset")
        }
        try await clock.sleep(for: syncDelay)
        return try await base.waitForSync(of: shard, on: node, in: cache)
    }
    func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport {
        try await base.failover(shard, to: node, in: cache)
    }
    func removeCopy(of shard: String, from node: String, in cache: String) async throws {
        try await base.removeCopy(of: shard, from: node, in: cache)
    }
    func removeNode(_ node: String, in cache: String) async throws { try await base.removeNode(node, in: cache) }
    func restoreNode(_ node: String, in cache: String) async throws { try await base.restoreNode(node, in: cache) }
    func deleteNodes(_ nodes: [String], in cache: String) async throws { try await base.deleteNodes(nodes, in: cache) }
    func restartNode(_ node: String, version: String?, in cache: String) async throws {
        try await base.restartNode(node, version: version, in: cache)
    }
}

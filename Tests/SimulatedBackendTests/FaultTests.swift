import Foundation
import Logging
import MaintenanceKit
import SimulatedBackend
import Testing

/// Faults in the simulated fleet: what the failure detector does, and what a rollout does
/// when a node fails under it, per `on_unplanned_failure`.
@Suite struct FaultTests {
    static func cluster() throws -> (SimulatedBackend, LoadedPlaybook) {
        let loaded = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/local-cluster.yaml")
        return (SimulatedBackend(inventory: loaded.inventory), loaded)
    }

    @Test func killingAPrimaryPromotesItsInSyncReplica() async throws {
        let (backend, _) = try Self.cluster()
        let hit = try await backend.inject(Fault(.kill, .primaryOf(shard: "s1")), in: "local")
        #expect(hit == "node-1")
        let topology = try await backend.topology(of: "local")
        #expect(topology.node("node-1")?.lifecycle == .failed)
        #expect(topology.shard("s1")?.primaryNode == "node-2")
        #expect(Invariants.check(topology).isEmpty, "a lost replica degrades a shard; it breaks no rule")
        let failures = try await backend.unplannedFailures(in: "local")
        #expect(failures.map(\.node) == ["node-1"])
        let failover = try #require(failures.first?.failovers.first)
        #expect(failover.kind == .unplanned && failover.shard == "s1" && failover.to == "node-2")
        #expect(failover.detection.map { $0 >= .milliseconds(750) && $0 <= .milliseconds(900) } == true)
        #expect(failover.unavailable == (failover.detection ?? .zero) + (failover.promotion ?? .zero))
        // node-1 led the cache: another live node leads now.
        #expect(failures.first?.newLeader != nil && topology.leader == failures.first?.newLeader)
        #expect(try await backend.unplannedFailures(in: "local").isEmpty, "each failure is reported once")
    }

    @Test func aStallShorterThanTheDetectionTimeFailsNothingOver() async throws {
        let (backend, _) = try Self.cluster()
        _ = try await backend.inject(Fault(.pause, .node("node-1"), duration: .milliseconds(500)), in: "local")
        let topology = try await backend.topology(of: "local")
        #expect(topology.shard("s1")?.primaryNode == "node-1")
        #expect(topology.node("node-1")?.lifecycle == .active)
        #expect(try await backend.unplannedFailures(in: "local").isEmpty)
    }

    @Test func aLongPauseFailsOverThenTheNodeRejoinsAsReplica() async throws {
        let (backend, _) = try Self.cluster()
        _ = try await backend.inject(Fault(.pause, .node("node-1"), duration: .seconds(5)), in: "local")
        #expect(try await backend.topology(of: "local").shard("s1")?.primaryNode == "node-2")
        try await backend.clock.sleep(for: .seconds(5))
        let topology = try await backend.topology(of: "local")
        #expect(topology.node("node-1")?.lifecycle == .active)
        let s1 = try #require(topology.shard("s1"))
        #expect(s1.primaryNode == "node-2", "no split brain: the old primary comes back as a replica")
        #expect(s1.copies.first { $0.node == "node-1" }.map { $0.role == .replica && $0.inSync } == true)
        #expect(Invariants.check(topology).isEmpty)
    }

    @Test func aSlowLinkSlowsTheSyncsThroughIt() async throws {
        let (plain, _) = try Self.cluster()
        let (slowed, _) = try Self.cluster()
        _ = try await slowed.inject(Fault(.slow, .node("node-1"), duration: .seconds(3600), slowdown: 10), in: "local")
        var took: [Duration] = []
        for backend in [plain, slowed] {
            try await backend.createNodes([NodeSpec(id: "node-4", version: "7.2.5", capacity: Capacity(memoryMB: 1024, cpus: 2))], in: "local")
            try await backend.addReplica(of: "s1", on: "node-4", in: "local")
            took.append(try await backend.waitForSync(of: "s1", on: "node-4", in: "local").duration)
        }
        #expect(took[1] > took[0] * 5)
    }

    @Test func aKillOfAShardsLastUpToDateCopyIsRecordedAsAViolation() async throws {
        let (backend, _) = try Self.cluster()
        _ = try await backend.inject(Fault(.kill, .node("node-2")), in: "local")  // s1's replica
        _ = try await backend.inject(Fault(.kill, .node("node-1")), in: "local")  // s1's primary, nothing left
        let failures = try await backend.unplannedFailures(in: "local")
        #expect(failures.last?.lostShards == ["s1"])
        #expect(await backend.violations.contains { $0.invariant == 1 && $0.message.contains("'s1' has no primary") })
    }

    @Test(arguments: [UnplannedFailurePolicy.pause, .abort, .continue])
    func aNodeFailingMidRolloutFollowsThePolicy(_ policy: UnplannedFailurePolicy) async throws {
        var loaded = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/demo-fleet.yaml")
        loaded.playbook.policy.onUnplannedFailure = policy
        loaded.playbook.targets = Targets(caches: ["pay-weu-1"])
        loaded.playbook.faults = [try FaultSyntax.parse("kill pay-weu-1-n1 after migrate_shards#2.2")]
        let plan = try Planner(registry: Rollouts.registry).plan(loaded.playbook, inventory: loaded.inventory)
        let backend = SimulatedBackend(inventory: loaded.inventory)
        let runtime = try RolloutRuntime(plan: plan, registry: Rollouts.registry, backend: backend,
                options: RolloutOptions(reporter: Rollouts.Discard(), stop: StopSignal(), logger: Logger(label: "test"), faults: ["pay-weu-1": loaded.playbook.faults]))
        let summary = await runtime.run()
        let cache = try #require(summary.caches.first)
        let topology = try await backend.topology(of: "pay-weu-1")
        #expect(summary.failovers.contains { $0.kind == .unplanned && $0.from == "pay-weu-1-n1" && $0.detectionMS != nil })
        #expect(summary.invariantViolations.isEmpty, "\(summary.invariantViolations)")
        #expect(topology.shards.allSatisfy { $0.primaryNode != nil && topology.liveNodes.map(\.id).contains($0.primaryNode ?? "") })
        switch policy {
        case .pause:
            // The failed node's own block finishes; the next node is not touched.
            #expect(summary.status == .paused && cache.status == .paused)
            #expect(cache.stoppedAt == "before drain pay-weu-1-n2")
            #expect(topology.node("pay-weu-1-n1")?.lifecycle == .removed)
            #expect(topology.node("pay-weu-1-n2")?.lifecycle == .active)
        case .abort:
            #expect(summary.status == .failed && cache.status == .failed)
            #expect(cache.error?.contains("on_unplanned_failure: abort") == true)
            #expect(cache.actionsCompleted == 5)
        case .continue:
            // The lost copies are re-created from the shards' new primaries; the patch completes.
            #expect(summary.status == .succeeded)
            #expect(topology.liveNodes.allSatisfy { $0.version == "7.2.5" })
            #expect(Invariants.check(topology).isEmpty)
            #expect(topology.shards.allSatisfy { $0.copies.count == 2 })
        }
    }

    @Test func continueStopsWhereTheRestOfThePlanNoLongerFits() async throws {
        // local-cluster's 2-CPU nodes: once node-3 failed, node-1-7.2.5 holds two primaries and
        // has no CPU left to send the next full sync; the re-planned rest says so before it runs.
        var loaded = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/local-cluster.yaml")
        loaded.playbook.policy.onUnplannedFailure = .continue
        let fault = try FaultSyntax.parse("kill node-3 after drain_node#2")
        let plan = try Planner(registry: Rollouts.registry).plan(loaded.playbook, inventory: loaded.inventory)
        let backend = SimulatedBackend(inventory: loaded.inventory)
        let runtime = try RolloutRuntime(plan: plan, registry: Rollouts.registry, backend: backend,
                options: RolloutOptions(reporter: Rollouts.Discard(), stop: StopSignal(), logger: Logger(label: "test"), faults: ["local": [fault]]))
        let summary = await runtime.run()
        let cache = try #require(summary.caches.first)
        #expect(summary.status == .paused)
        #expect(cache.error?.contains("cannot continue around it") == true, "\(cache.error ?? "")")
        #expect(cache.error?.contains("invariant 8: headroom") == true)
        #expect(summary.invariantViolations.isEmpty)
        #expect(await backend.violations.isEmpty, "nothing was tried that the backend had to refuse")
    }
}

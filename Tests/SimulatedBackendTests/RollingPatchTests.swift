import MaintenanceKit
import SimulatedBackend
import Testing

@Suite struct RollingPatchTests {
    @Test func patchesTheDemoFleet() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml")
        let (plan, summary, backend) = try await Rollouts.run(loaded)
        #expect(summary.status == .succeeded)
        #expect(summary.invariantViolations.isEmpty)
        #expect(summary.failovers.count == plan.expectedFailovers.count)
        #expect(summary.failovers.allSatisfy { $0.kind == .planned && $0.unavailableMS > 0 && $0.unavailableMS < 1000 })
        for cache in loaded.inventory.caches {
            let topology = try await backend.topology(of: cache.id)
            let old = Set(cache.nodes.map(\.id))
            // Every old node is gone; every live node runs the target version.
            #expect(topology.nodes.filter { old.contains($0.id) }.allSatisfy { $0.lifecycle == .deleted })
            #expect(topology.liveNodes.count == cache.nodes.count)
            #expect(topology.liveNodes.allSatisfy { $0.version == "7.2.5" && !old.contains($0.id) })
            // Every shard has exactly one primary, on a new node, and all its copies in sync.
            for shard in topology.shards {
                let primary = try #require(shard.primaryNode)
                #expect(!old.contains(primary))
                #expect(shard.copies.count == 1 + (cache.shards.first { $0.id == shard.id }?.replicas.count ?? 0))
                #expect(shard.copies.allSatisfy { $0.inSync && !old.contains($0.node) })
            }
            #expect(topology.leader.map { !old.contains($0) } == true)
            // Each shard failed over exactly once.
            let shardsFailedOver = summary.failovers.filter { $0.cache == cache.id }.map(\.shard)
            #expect(shardsFailedOver.sorted() == cache.shards.map(\.id).sorted())
        }
        let simulated = try #require(backend as? SimulatedBackend)
        #expect(await simulated.violations.isEmpty)
    }

    @Test func sameSeedSameRun() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml")
        let first = try await Rollouts.run(loaded, seed: 7).summary
        let second = try await Rollouts.run(loaded, seed: 7).summary
        let other = try await Rollouts.run(loaded, seed: 8).summary
        #expect(first.durationMS == second.durationMS)
        #expect(first.failovers == second.failovers)
        #expect(first.durationMS != other.durationMS)
    }

    @Test func cachesSharingGroupAndRegionNeverOverlap() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml")
        let summary = try await Rollouts.run(loaded).summary
        let caches = summary.caches
        for a in caches {
            for b in caches where a.cache < b.cache && a.placement == b.placement {
                #expect(a.finished <= b.started || b.finished <= a.started, "\(a.cache) and \(b.cache) overlapped")
            }
        }
        // Caches in other groups or regions did run at the same time.
        let overlapping = caches.contains { a in caches.contains { b in a.cache != b.cache && a.started < b.finished && b.started < a.finished } }
        #expect(overlapping)
    }

    @Test func rollingRestartRunsOnTheDemoFleet() async throws {
        let loaded = try Rollouts.load("rolling-restart.yaml")
        let (plan, summary, _) = try await Rollouts.run(loaded)
        #expect(summary.status == .succeeded)
        #expect(summary.failovers.count == plan.expectedFailovers.count)
        #expect(summary.invariantViolations.isEmpty)
    }

    @Test func patchesTheLocalClusterInventory() async throws {
        let loaded = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/local-cluster.yaml")
        let (_, summary, backend) = try await Rollouts.run(loaded)
        #expect(summary.status == .succeeded)
        #expect(summary.failovers.count == 3)
        let topology = try await backend.topology(of: "local")
        #expect(topology.liveNodes.map(\.id).sorted() == ["node-1-7.2.5", "node-2-7.2.5", "node-3-7.2.5"])
    }
}

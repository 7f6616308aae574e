import MaintenanceKit
import Testing

@Suite struct PlannerTests {
    @Test func cachesSharingGroupAndRegionRunOneAfterTheOther() throws {
        let plan = try Fixtures.plan()
        let byID = Dictionary(uniqueKeysWithValues: plan.caches.map { ($0.cache, $0) })
        let a = try #require(byID["a"]), b = try #require(byID["b"]), c = try #require(byID["c"])
        // a and b share rg1/west: b starts when a ends. c is elsewhere: it starts at once.
        #expect(a.predictedStart == .zero)
        #expect(b.predictedStart == a.predictedEnd)
        #expect(c.predictedStart == .zero)
        #expect(plan.predictedDuration == max(b.predictedEnd, c.predictedEnd))
    }

    @Test func maxParallelCachesBoundsConcurrency() throws {
        let plan = try Fixtures.plan(Fixtures.rollingPatch.replacingOccurrences(of: "max_parallel_caches: 4", with: "max_parallel_caches: 1"))
        let intervals = plan.caches.map { ($0.predictedStart, $0.predictedEnd) }.sorted { $0.0 < $1.0 }
        for (first, second) in zip(intervals, intervals.dropFirst()) {
            #expect(second.0 >= first.1)
        }
    }

    @Test func wideningTheExclusionScopeSerializesTheFleet() throws {
        let playbook = Fixtures.rollingPatch.replacingOccurrences(
            of: "max_parallel_caches: 4", with: "max_parallel_caches: 4\n  one_cache_at_a_time_per: fleet")
        let plan = try Fixtures.plan(playbook)
        let starts = plan.caches.map(\.predictedStart)
        #expect(Set(starts).count == 3)
    }

    @Test func oneNodeAtATimeWithinACache() throws {
        let plan = try Fixtures.plan()
        let a = try #require(plan.caches.first { $0.cache == "a" })
        #expect(a.actions.first?.plugin == "create_vms")
        #expect(a.actions.last?.plugin == "delete_vms")
        // Per-node actions come in blocks: every action on a1 before any on a2, and so on.
        let perNode = a.actions.filter { ["drain_node", "migrate_shards", "remove_node"].contains($0.plugin) }
        let nodeOrder = perNode.compactMap(\.subject.node)
        #expect(nodeOrder == nodeOrder.sorted())
        for node in ["a1", "a2", "a3"] {
            let block = perNode.filter { $0.subject.node == node }.map(\.plugin)
            #expect(block.first == "drain_node")
            #expect(block.last == "remove_node")
            #expect(block.filter { $0 == "migrate_shards" }.count == 2)
        }
    }

    @Test func eachShardFailsOverOnItsOwnExactlyOnce() throws {
        let plan = try Fixtures.plan()
        let failovers = plan.expectedFailovers
        #expect(failovers.count == 6)
        #expect(Set(failovers.map { "\($0.cache)/\($0.failover.shard)" }).count == 6)
        // An action moves at most one shard, so each failover is its own action.
        for cache in plan.caches { #expect(cache.actions.allSatisfy { $0.failover == nil || $0.subject.shard == $0.failover?.shard }) }
    }

    @Test func deletingBeforeDrainingIsRefusedNamingTheInvariant() throws {
        let playbook = """
            name: wrong
            steps:
              - step: create_vms
                with: { version: "2.0" }
              - step: delete_vms
            """
        let loaded = try Fixtures.load(playbook)
        #expect {
            _ = try Planner(registry: Fixtures.registry).plan(loaded.playbook, inventory: loaded.inventory)
        } throws: { error in
            let text = "\(error)"
            return text.contains("playbook.yaml:5:5: error: step 'delete_vms' would break invariant 4")
                && text.contains("no node removed with the only up-to-date copy")
        }
    }

    @Test func refusesAPlanThatBreaksHeadroom() throws {
        let tight = Fixtures.inventoryText.replacingOccurrences(of: "memory_mb: 8192, cpus: 4", with: "memory_mb: 8192, cpus: 1.2")
        let loaded = try Fixtures.load(Fixtures.rollingPatch, inventory: tight)
        #expect {
            _ = try Planner(registry: Fixtures.registry).plan(loaded.playbook, inventory: loaded.inventory)
        } throws: { error in "\(error)".contains("invariant 8: headroom") }
    }

    /// Two primaries on x, their replicas on y: moving y's copies two at a time makes x the
    /// source of two full syncs at once, which 2.6 CPUs hold one at a time only.
    @Test func parallelSyncsArePlannedOnlyWhereEverySourceHasRoomForThemTogether() throws {
        func inventory(cpus: Double) -> String {
            """
            caches:
              - id: p
                resource_group: rg
                region: r
                leader: x
                nodes:
                  - { id: x, version: "1.0", capacity: { memory_mb: 8192, cpus: \(cpus) } }
                  - { id: y, version: "1.0", capacity: { memory_mb: 8192, cpus: \(cpus) } }
                shards:
                  - { id: s1, primary: x, replicas: [y], size_mb: 100 }
                  - { id: s2, primary: x, replicas: [y], size_mb: 100 }
            """
        }
        let parallel = Fixtures.rollingPatch.replacingOccurrences(of: "      - step: migrate_shards\n",
                                                                  with: "      - step: migrate_shards\n        with: { parallel_syncs: 2 }\n")
        #expect(parallel != Fixtures.rollingPatch)
        let planner = Planner(registry: Fixtures.registry)
        let oneAtATime = try Fixtures.load(Fixtures.rollingPatch, inventory: inventory(cpus: 2.6))
        #expect(try planner.plan(oneAtATime.playbook, inventory: oneAtATime.inventory).caches[0].actions.count { $0.plugin == "migrate_shards" } == 4)
        let tight = try Fixtures.load(parallel, inventory: inventory(cpus: 2.6))
        #expect {
            _ = try planner.plan(tight.playbook, inventory: tight.inventory)
        } throws: { error in
            "\(error)".contains("node 'x' would need") && "\(error)".contains("3 of 2.6 CPUs while syncing s1, s2 to x-2.0 at once (invariant 8: headroom)")
        }
        let roomy = try Fixtures.load(parallel, inventory: inventory(cpus: 3.2))
        #expect(try planner.plan(roomy.playbook, inventory: roomy.inventory).caches[0].actions.count { $0.plugin == "migrate_shards" } == 4)
        // Out of range: a clear error at its place, nothing planned.
        let zero = parallel.replacingOccurrences(of: "parallel_syncs: 2", with: "parallel_syncs: 0")
        #expect(Fixtures.diagnostics(zero).map(\.description)
                == ["playbook.yaml:15:33: error: step 'migrate_shards': parallel_syncs must be between 1 and 16 (copies of a node syncing at once), not 0"])
    }

    @Test func aSecondCreateVMsDoesNotReplaceNodesAgain() throws {
        let playbook = Fixtures.rollingPatch.replacingOccurrences(
            of: "  - step: elect_leader", with: "  - step: create_vms\n    with: { version: \"2.0\" }\n  - step: elect_leader")
        let plan = try Fixtures.plan(playbook)
        let a = try #require(plan.caches.first { $0.cache == "a" })
        #expect(a.replacements.map(\.new) == ["a1-2.0", "a2-2.0", "a3-2.0"])
        #expect(a.actions.filter { $0.plugin == "create_vms" }.count == 1)
    }

    @Test func alreadyPatchedNodesAreKept() throws {
        let plan = try Fixtures.plan(Fixtures.rollingPatch.replacingOccurrences(of: "target: \"2.0\"", with: "target: \"1.0\""))
        #expect(plan.actionCount == 0)
    }

    @Test func schedulerNeverStartsTwoCachesWithOneKey() {
        var scheduler = CacheScheduler(caches: ["a", "b", "c", "d"], keys: ["a": "k1", "b": "k1", "c": "k2", "d": "k3"], maxParallel: 2)
        #expect(scheduler.start() == ["a", "c"])
        #expect(scheduler.start().isEmpty)
        scheduler.finish("a")
        #expect(scheduler.start() == ["b"])
        scheduler.finish("c")
        #expect(scheduler.start() == ["d"])
    }

    @Test func registryRejectsDuplicateIDs() {
        #expect(throws: RegistryError.self) {
            _ = try PluginRegistry(steps: Array(Fixtures.registry.steps.values) + [Fixtures.registry.steps["create_vms"]!])
        }
    }
}

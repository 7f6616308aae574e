import MaintenanceKit
import Testing

@Suite struct RollbackPlannerTests {
    /// A rollout stopped (maintctl killed) after its first node, with the next node's copies
    /// already started on its replacement: one of them is a copy of a shard whose primary is on
    /// the node the rollback moves it back to. That move syncs nothing; it is planned (it was a
    /// crash: a dictionary literal with the same node twice), and the copy is dropped.
    @Test func aCopyStartedAheadOnANewNodeIsRolledBackOntoItsPrimarysNode() throws {
        let plan = try Fixtures.plan()
        let cachePlan = try #require(plan.caches.first { $0.cache == "a" })
        let newNode = Dictionary(uniqueKeysWithValues: cachePlan.replacements.map { ($0.old, $0.new) })
        let a1New = try #require(newNode["a1"]), a2New = try #require(newNode["a2"]), a3New = try #require(newNode["a3"])
        let capacity = Capacity(memoryMB: 8192, cpus: 4)
        let topology = CacheTopology(
            id: "a", placement: cachePlan.placement, leader: a1New, minReplicas: 1,
            nodes: [NodeState(id: "a1", version: "1.0", capacity: capacity, lifecycle: .removed),
                    NodeState(id: "a2", version: "1.0", capacity: capacity),
                    NodeState(id: "a3", version: "1.0", capacity: capacity),
                    NodeState(id: a1New, version: "2.0", capacity: capacity),
                    NodeState(id: a2New, version: "2.0", capacity: capacity),
                    NodeState(id: a3New, version: "2.0", capacity: capacity)],
            shards: [ShardState(id: "s1", sizeMB: 100, copies: [ShardCopy(node: "a2", role: .replica), ShardCopy(node: a1New, role: .primary),
                                                                ShardCopy(node: a2New, role: .replica, inSync: false)]),
                     ShardState(id: "s2", sizeMB: 200, copies: [ShardCopy(node: "a2", role: .primary), ShardCopy(node: "a3", role: .replica),
                                                                ShardCopy(node: a2New, role: .replica, inSync: false)]),
                     ShardState(id: "s3", sizeMB: 300, copies: [ShardCopy(node: "a3", role: .primary), ShardCopy(node: a1New, role: .replica)])])
        let rollback = try RollbackPlanner(registry: Fixtures.registry).plan(undoing: plan, topologies: [topology], name: "rollback")
        let actions = try #require(rollback.caches.first?.actions)
        let movesOffA2New = actions.filter { $0.plugin == "migrate_shards" && $0.subject.node == a2New }
        #expect(movesOffA2New.compactMap(\.subject.shard).sorted() == ["s1", "s2"])
        #expect(movesOffA2New.allSatisfy { $0.subject.destination == "a2" && $0.failover == nil })
        #expect(actions.last?.plugin == "delete_vms")
    }
}

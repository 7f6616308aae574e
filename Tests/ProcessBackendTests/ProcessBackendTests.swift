import Foundation
import Logging
import MaintenanceKit
import ClusterProbe
import ProcessBackend
import RedisWire
import Synchronization
import LiveClusterSupport
import Testing

/// The process backend against real redis-server processes on free loopback ports, its nodes
/// local directories or containers (the container backend).
@Suite(.serialized) struct ProcessBackendTests {
    @Test(arguments: LiveCluster.Nodes.allCases)
    func clusterUpStatusDown(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes) { cluster in
            let rows = await cluster.backend.status()
            #expect(rows.count == 6)
            #expect(rows.filter { $0.role == "primary" }.map(\.node).sorted() == ["node-1", "node-2", "node-3"])
            #expect(rows.allSatisfy { $0.healthy })
            let topology = try await cluster.backend.topology(of: "local")
            #expect(Invariants.check(topology).isEmpty)
            try await cluster.load(keys: 1000)
            #expect(try await cluster.missingKeys(of: 1000) == 0)
        }
    }

    @Test(arguments: LiveCluster.Nodes.allCases)
    func rollingPatchOn100kKeysLosesNothing(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes) { cluster in
            let oldContainers = try await cluster.containers()
            try await cluster.load(keys: 100_000)
            let loaded = try PlaybookLoader(registry: LiveCluster.registry).load(
                path: LiveCluster.packageRoot + "/Playbooks/rolling-patch.yaml",
                inventoryOverride: LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
            let inventory = try await cluster.backend.currentInventory()
            let plan = try Planner(registry: LiveCluster.registry).plan(loaded.playbook, inventory: inventory)
            let runtime = try RolloutRuntime(plan: plan, registry: LiveCluster.registry, backend: cluster.backend,
                options: RolloutOptions(reporter: Silent(), stop: StopSignal(), logger: Logger(label: "test")))
            // A cluster-aware client writes to every shard throughout and checks every acknowledgement.
            let backend = cluster.backend
            let probe = try ClusterProbe(shards: await backend.shardSlots(), seeds: await backend.serverAddresses().map { ServerAddress(host: $0.host, port: $0.port) })
            var (summary, impact) = await probe.measure(during: { await runtime.run() }, currentServers: { await backend.serverAddresses().map { ServerAddress(host: $0.host, port: $0.port) } })
            summary.record(impact)
            #expect(summary.status == .succeeded, "\(summary.caches.first?.error ?? "")")
            #expect(impact.writesAcknowledged > 300)
            #expect(impact.acknowledgedWritesLost == 0)
            #expect(impact.acknowledgedWritesUnverified == 0)
            #expect(impact.shards.allSatisfy { $0.acknowledged > 100 && $0.lost == 0 })
            // Every shard failed over exactly once; clients saw each shard's writes stop for under a second.
            #expect(summary.failovers.map(\.shard).sorted() == ["s1", "s2", "s3"])
            #expect(summary.failovers.allSatisfy { $0.unavailableMS < 5000 && $0.backendUnavailableMS != nil }, "never stuck; speed is Benchmarks/handoff's")
            let topology = try await cluster.backend.topology(of: "local")
            #expect(topology.liveNodes.map(\.id).sorted() == ["node-1-7.2.5", "node-2-7.2.5", "node-3-7.2.5"])
            #expect(topology.liveNodes.allSatisfy { $0.version == "7.2.5" })
            #expect(Invariants.check(topology).isEmpty)
            for shard in topology.shards {
                #expect(shard.primaryNode?.hasSuffix("-7.2.5") == true)
                #expect(shard.copies.count == 2 && shard.copies.allSatisfy { $0.inSync })
            }
            let rows = await cluster.backend.status()
            #expect(rows.count == 6 && rows.allSatisfy { $0.node.hasSuffix("-7.2.5") && $0.healthy })
            #expect(try await cluster.missingKeys(of: 100_000) == 0)
            // On containers: every node is a running container of the new image, the old ones are gone.
            if let containers = try await cluster.containers() {
                #expect(oldContainers?.count == 3 && oldContainers?.allSatisfy { $0.image == "maintctl/redis:7.0.15" } == true)
                #expect(containers.map(\.node).sorted() == ["node-1-7.2.5", "node-2-7.2.5", "node-3-7.2.5"])
                #expect(containers.allSatisfy { $0.image == "maintctl/redis:7.2.5" && $0.running })
            }
        }
    }

    /// `parallel_syncs: 2`: each node's second copy begins its full sync during the first
    /// one's move, and the patch keeps every write and key, with one failover per shard.
    @Test func twoCopiesOfANodeSyncAtOnceAndNothingIsLost() async throws {
        try await LiveCluster.with(.processes) { cluster in
            try await cluster.load(keys: 100_000)
            let text = try String(contentsOfFile: LiveCluster.packageRoot + "/Playbooks/rolling-patch.yaml", encoding: .utf8)
                .replacingOccurrences(of: "          order: replicas_first\n", with: "          order: replicas_first\n          parallel_syncs: 2\n")
            #expect(text.contains("parallel_syncs: 2"))
            let loaded = try PlaybookLoader(registry: LiveCluster.registry).load(
                SourceFile(path: "parallel-syncs.yaml", text: text),
                inventoryOverride: LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
            let plan = try Planner(registry: LiveCluster.registry).plan(loaded.playbook, inventory: try await cluster.backend.currentInventory())
            let notes = NoteCollector()
            let runtime = try RolloutRuntime(plan: plan, registry: LiveCluster.registry, backend: cluster.backend,
                options: RolloutOptions(reporter: notes, stop: StopSignal(), logger: Logger(label: "test")))
            let backend = cluster.backend
            let probe = try ClusterProbe(shards: await backend.shardSlots(), seeds: await backend.serverAddresses().map { ServerAddress(host: $0.host, port: $0.port) })
            var (summary, impact) = await probe.measure(during: { await runtime.run() }, currentServers: { await backend.serverAddresses().map { ServerAddress(host: $0.host, port: $0.port) } })
            summary.record(impact)
            #expect(summary.status == .succeeded, "\(summary.caches.first?.error ?? "")")
            // Each node's first move (its replica) started the sync of its second (its primary).
            let beside = notes.notes.filter { $0.note.hasSuffix("began its sync beside this move") }
            #expect(beside.map(\.note).sorted() == ["s1 began its sync beside this move", "s2 began its sync beside this move",
                                                     "s3 began its sync beside this move"], "\(notes.notes)")
            #expect(beside.allSatisfy { $0.action.contains("(replica") }, "\(beside)")
            #expect(impact.acknowledgedWritesLost == 0 && impact.acknowledgedWritesUnverified == 0)
            #expect(impact.writesAcknowledged > 100)
            #expect(summary.failovers.map(\.shard).sorted() == ["s1", "s2", "s3"])
            let topology = try await backend.topology(of: "local")
            #expect(Invariants.check(topology).isEmpty)
            for shard in topology.shards {
                #expect(shard.primaryNode?.hasSuffix("-7.2.5") == true)
                #expect(shard.copies.count == 2 && shard.copies.allSatisfy { $0.inSync })
            }
            #expect(try await cluster.missingKeys(of: 100_000) == 0)
        }
    }

    @Test func aMissingRedisServerIsOneClearError() async throws {
        let inventory = try InventoryLoader.load(path: LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
        let directory = NSTemporaryDirectory() + "maintctl-missing-\(UUID().uuidString)"
        await #expect {
            _ = try await ProcessBackend.up(inventory, in: directory, binaries: ["default": "redis-server-not-installed"],
                                            logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("'redis-server-not-installed' was not found on PATH; install it (Debian/Ubuntu: sudo apt-get install -y redis-server)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    /// On containers the node's container is made anew from the new version's image.
    @Test(arguments: LiveCluster.Nodes.allCases)
    func aNodeRestartedAtANewVersionKeepsItsCopiesWhichResync(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes) { cluster in
            try await cluster.load(keys: 2000)
            let backend = cluster.backend
            try await cluster.addFreshNode(withACopyOf: "s2")
            _ = try await backend.waitForSync(of: "s2", on: "fresh", in: "local")
            let before = try #require(await backend.status().first { $0.node == "fresh" })
            let identity = try await cluster.ask(before.port, "CLUSTER", "MYID").string
            let container = try await cluster.containers()?.first { $0.node == "fresh" }
            try await backend.restartNode("fresh", version: "7.2.6", in: "local")
            let after = try #require(await backend.status().first { $0.node == "fresh" })
            #expect(after.pid != before.pid && after.port == before.port && after.role == "replica" && after.healthy)
            #expect(try await cluster.ask(after.port, "CLUSTER", "MYID").string == identity, "the same cluster identity")
            let topology = try await backend.topology(of: "local")
            #expect(topology.node("fresh")?.version == "7.2.6")
            #expect(topology.shard("s2")?.copies.count == 3 && topology.shard("s2")?.copies.allSatisfy(\.inSync) == true)
            #expect(Invariants.check(topology).isEmpty)
            if let restarted = try await cluster.containers()?.first(where: { $0.node == "fresh" }) {
                #expect(restarted.image == "maintctl/redis:7.2.6" && restarted.running && restarted.id != container?.id)
            }
            #expect(try await cluster.missingKeys(of: 2000) == 0)
        }
    }

    /// A primary that does not answer (paused) is not taken for a replica: restarting its
    /// node would bring it back empty, owning its slots.
    @Test(arguments: LiveCluster.Nodes.allCases)
    func aNodeWhoseCopiesDoNotAnswerIsNotRestarted(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes) { cluster in
            let backend = cluster.backend
            _ = try await backend.inject(Fault(.pause, .node("node-1"), duration: .seconds(4)), in: "local")
            await #expect {
                try await backend.restartNode("node-1", version: nil, in: "local")
            } throws: { error in
                (error as? BackendError)?.code == .roleUnknown
            }
            try await backend.endMaintenance(of: "local")
            #expect(await backend.status().filter { $0.node == "node-1" }.allSatisfy { $0.role == "primary" || $0.role == "replica" })
        }
    }

    @Test(arguments: LiveCluster.Nodes.allCases)
    func aCopyKilledDuringItsSyncFailsTheStepAndKeepsTheOldNode(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes) { cluster in
            try await cluster.load(keys: 2000)
            let backend = cluster.backend
            try await cluster.addFreshNode(withACopyOf: "s1")
            let fresh = try #require(await backend.status().first { $0.node == "fresh" })
            kill(fresh.pid, SIGKILL)
            await #expect(throws: BackendError.self) { _ = try await backend.waitForSync(of: "s1", on: "fresh", in: "local") }
            // The old primary still serves; one primary per shard.
            let topology = try await backend.topology(of: "local")
            #expect(topology.shard("s1")?.primaryNode == "node-1")
            #expect(topology.shards.allSatisfy { $0.primaries.count == 1 })
            // A retry replaces the dead copy and completes the sync.
            try await backend.addReplica(of: "s1", on: "fresh", in: "local")
            let sync = try await backend.waitForSync(of: "s1", on: "fresh", in: "local")
            #expect(sync.shard == "s1")
            #expect(try await cluster.missingKeys(of: 2000) == 0)
        }
    }

    @Test func aStoppedRolloutLeavesAConsistentCluster() async throws {
        try await LiveCluster.with { cluster in
            try await cluster.load(keys: 5000)
            let loaded = try PlaybookLoader(registry: LiveCluster.registry).load(
                path: LiveCluster.packageRoot + "/Playbooks/rolling-patch.yaml",
                inventoryOverride: LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
            let plan = try Planner(registry: LiveCluster.registry).plan(loaded.playbook, inventory: try await cluster.backend.currentInventory())
            let stop = StopSignal()
            let summary = try await RolloutRuntime(plan: plan, registry: LiveCluster.registry, backend: cluster.backend,
                options: RolloutOptions(reporter: StopAfter(actions: 6, stop: stop), stop: stop, logger: Logger(label: "test"))).run()
            #expect(summary.status == .aborted)
            let topology = try await cluster.backend.topology(of: "local")
            #expect(Invariants.check(topology).isEmpty)
            #expect(await cluster.backend.status().allSatisfy { $0.healthy })
            #expect(try await cluster.missingKeys(of: 5000) == 0)
        }
    }
}

import Foundation
import Logging
import MaintenanceKit
import ProcessBackend
import LiveClusterSupport
import Testing

/// `prepareCopies`: a node's new copies start together, empty, and wait for their moves.
@Suite struct PreparedCopiesTests {
    @Test func preparedCopiesServeNothingUntilTheirMovesAttachThem() async throws {
        try await LiveCluster.with { cluster in
            let backend = cluster.backend
            try await cluster.load(keys: 1000)
            try await backend.createNodes([NodeSpec(id: "fresh", version: "7.0.15", capacity: Capacity(memoryMB: 1024, cpus: 2))], in: "local")
            await backend.prepareCopies(of: ["s1", "s3"], on: "fresh", in: "local")
            let prepared = await backend.status().filter { $0.node == "fresh" }
            #expect(prepared.map(\.shard).sorted() == ["s1", "s3"], "both copies started: \(prepared)")
            #expect(prepared.allSatisfy { $0.role == "unattached" && !$0.healthy }, "a prepared copy serves no slots, follows no primary: \(prepared)")
            var topology = try await backend.topology(of: "local")
            for shard in ["s1", "s3"] {
                let copy = try #require(topology.shard(shard)?.copies.first { $0.node == "fresh" })
                #expect(copy.role == .replica && !copy.inSync, "\(shard) on fresh: \(copy)")
            }
            #expect(topology.shard("s1")?.primaryNode == "node-1" && topology.shard("s3")?.primaryNode == "node-3")
            #expect(Invariants.check(topology).isEmpty, "an empty copy breaks no rule")

            // Asked again (a move retried), nothing more starts.
            await backend.prepareCopies(of: ["s1", "s3"], on: "fresh", in: "local")
            #expect(await backend.status().filter { $0.node == "fresh" }.map(\.pid).sorted() == prepared.map(\.pid).sorted())

            // The move of s1 attaches its prepared copy: the same server, now a replica in sync.
            try await backend.addReplica(of: "s1", on: "fresh", in: "local")
            _ = try await backend.waitForSync(of: "s1", on: "fresh", in: "local")
            // Healthy once it knows every server too (cluster_state:ok): its handshakes end during the sync or just after.
            var attached = try #require(await backend.status().first { $0.node == "fresh" && $0.shard == "s1" })
            for _ in 0..<50 where !attached.healthy {
                try await Task.sleep(for: .milliseconds(100))
                attached = try #require(await backend.status().first { $0.node == "fresh" && $0.shard == "s1" })
            }
            #expect(attached.pid == prepared.first { $0.shard == "s1" }?.pid && attached.role == "replica" && attached.healthy, "\(attached)")
            topology = try await backend.topology(of: "local")
            #expect(topology.shard("s1")?.copies.first { $0.node == "fresh" }?.inSync == true)
            #expect(topology.shard("s3")?.copies.first { $0.node == "fresh" }?.inSync == false, "s3's copy still waits for its move")

            // Its old copy goes while s3's copy, not attached, is still an empty server.
            try await backend.removeCopy(of: "s1", from: "node-2", in: "local")
            #expect(try await backend.shard("s1", in: "local")?.copies.map(\.node).sorted() == ["fresh", "node-1"])
            #expect(try await cluster.missingKeys(of: 1000) == 0)
        }
    }

    /// A maintctl killed after it started copies ahead leaves them to the next: that one takes
    /// them for copies not attached yet (a primary with no slots and no replica, in a shard
    /// another copy serves), so that when its maintenance ends without their moves they go.
    @Test func copiesStartedAheadByAnEarlierMaintctlAreRemovedByTheNextWhenNoMoveCame() async throws {
        try await LiveCluster.with { cluster in
            try await cluster.backend.createNodes([NodeSpec(id: "fresh", version: "7.0.15", capacity: Capacity(memoryMB: 1024, cpus: 2))], in: "local")
            await cluster.backend.prepareCopies(of: ["s1", "s3"], on: "fresh", in: "local")
            let prepared = await cluster.backend.status().filter { $0.node == "fresh" }
            #expect(prepared.count == 2)
            // The next maintctl, on the same state.
            let next = try ProcessBackend(directory: cluster.directory, logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await next.run() }
                defer { group.cancelAll() }
                try await next.beginMaintenance(of: "local")
                try await next.endMaintenance(of: "local")
            }
            #expect(await next.status().filter { $0.node == "fresh" }.isEmpty, "no copy left on fresh")
            #expect(prepared.allSatisfy { kill($0.pid, 0) != 0 || LiveCluster.isZombie($0.pid) }, "their servers stopped")
            let topology = try await next.topology(of: "local")
            #expect(topology.shards.allSatisfy { $0.copies.count == 2 && $0.primaryNode != nil } && Invariants.check(topology).isEmpty)
        }
    }
}

import Foundation
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
}

import Synchronization
import MaintenanceKit
import SimulatedBackend
import Testing

/// The simulated backend refuses operations that would break an invariant, and says which.
@Suite struct SimulatedBackendTests {
    func fleet() throws -> (SimulatedBackend, CacheSpec) {
        let inventory = try Rollouts.load("rolling-patch.yaml", inventory: "inventories/local-cluster.yaml").inventory
        return (SimulatedBackend(inventory: inventory), try #require(inventory.cache("local")))
    }

    @Test func refusesToDeleteANodeHoldingTheOnlyUpToDateCopy() async throws {
        let (backend, _) = try fleet()
        await #expect {
            try await backend.deleteNodes(["node-1"], in: "local")
        } throws: { error in
            (error as? InvariantViolation)?.invariant == 4 && "\(error)".contains("node-1")
        }
        #expect(try await backend.topology(of: "local").node("node-1")?.lifecycle == .active)
        #expect(await backend.violations.map(\.invariant) == [4])
    }

    @Test func refusesAFailoverToAReplicaThatIsNotInSync() async throws {
        let (backend, _) = try fleet()
        try await backend.createNodes([NodeSpec(id: "new", version: "2", capacity: Capacity(memoryMB: 1024, cpus: 2))], in: "local")
        try await backend.addReplica(of: "s1", on: "new", in: "local")
        await #expect(throws: BackendError.self) { _ = try await backend.failover("s1", to: "new", in: "local") }
        #expect(try await backend.topology(of: "local").shard("s1")?.primaryNode == "node-1")
        _ = try await backend.waitForSync(of: "s1", on: "new", in: "local")
        let report = try await backend.failover("s1", to: "new", in: "local")
        #expect(report.from == "node-1" && report.to == "new" && report.unavailable < .seconds(1))
        let shard = try #require(try await backend.topology(of: "local").shard("s1"))
        #expect(shard.primaryNode == "new")
        #expect(shard.copies.first { $0.node == "node-1" }?.role == .replica)
    }

    @Test func refusesToRemoveAPrimaryCopy() async throws {
        let (backend, _) = try fleet()
        await #expect { try await backend.removeCopy(of: "s1", from: "node-1", in: "local") } throws: { error in
            (error as? InvariantViolation)?.invariant == 1
        }
        #expect(try await backend.topology(of: "local").shard("s1")?.copies.count == 2)
    }

    @Test func refusesToRemoveTheLastReplica() async throws {
        let (backend, _) = try fleet()
        await #expect { try await backend.removeCopy(of: "s1", from: "node-2", in: "local") } throws: { error in
            (error as? InvariantViolation)?.invariant == 5
        }
    }

    @Test func refusesTwoCachesOfOneGroupAndRegionAtOnce() async throws {
        let inventory = try Rollouts.load("rolling-patch.yaml").inventory
        let backend = SimulatedBackend(inventory: inventory)
        try await backend.beginMaintenance(of: "pay-weu-1")
        await #expect { try await backend.beginMaintenance(of: "pay-weu-2") } throws: { error in
            (error as? InvariantViolation)?.invariant == 7
        }
        try await backend.beginMaintenance(of: "pay-eus-1")
        try await backend.endMaintenance(of: "pay-weu-1")
        try await backend.beginMaintenance(of: "pay-weu-2")
    }

    @Test func virtualTimeAdvancesOnlyBySimulatedWork() async throws {
        let clock = VirtualClock()
        let branch = clock.openBranch()
        let elapsed = try await clock.run(branch) {
            try await clock.sleep(for: .seconds(3600))
            return clock.now
        }
        clock.closeBranch(branch)
        #expect(elapsed == .seconds(3600))
        await #expect(throws: TimeoutError.self) {
            try await clock.withTimeout(.seconds(5)) { try await clock.sleep(for: .seconds(6)) }
        }
        #expect(clock.now == .seconds(3605), "a time limit ends the sleep at the deadline")
    }

    /// Branches take turns: time moves to the earliest wake-up only when every branch sleeps,
    /// so the interleaving is the same on every run, whatever the threads do.
    @Test(arguments: 1...20)
    func branchesWakeEarliestFirstInTheSameOrderEveryTime(run: Int) async throws {
        let clock = VirtualClock()
        let log = EventLog()
        let sleeps: [(String, [Int])] = [("a", [5, 5, 5]), ("b", [3, 9]), ("c", [15]), ("d", [1, 1, 1, 1, 20])]
        // Every branch is open before any runs, as the runtime opens them: one running ahead
        // alone would be the only sleeper, and move time on its own.
        let branches = sleeps.map { ($0.0, $0.1, clock.openBranch()) }
        await withTaskGroup(of: Void.self) { group in
            for (name, steps, branch) in branches {
                group.addTask {
                    await clock.run(branch) {
                        for step in steps {
                            try? await clock.sleep(for: .seconds(Int64(step)))
                            log.append("\(name)@\(clock.now.components.seconds)")
                        }
                    }
                    clock.closeBranch(branch)
                }
            }
        }
        #expect(log.entries == ["d@1", "d@2", "b@3", "d@3", "d@4", "a@5", "a@10", "b@12", "c@15", "a@15", "d@24"])
        #expect(clock.now == .seconds(24))
    }
}

/// Lines appended from several tasks.
final class EventLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var entries: [String] { lines.withLock { $0 } }
}

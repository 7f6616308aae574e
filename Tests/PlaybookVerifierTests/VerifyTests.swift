import Foundation
import MaintenanceKit
import PlaybookVerifier
import Plugins
import Testing

/// `verify` on the shipped rolling patch and on the deliberately unsafe playbooks.
@Suite struct VerifyTests {
    static let registry = try! PluginRegistry(steps: BuiltinPlugins.all)
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func verify(_ playbook: String, inventory: String? = nil, depth: FaultExplorer.Depth = .single,
                       kinds: [FaultKind] = [.kill]) async throws -> Verification {
        let loaded = try PlaybookLoader(registry: registry).load(path: root + "/" + playbook, inventoryOverride: inventory.map { root + "/" + $0 })
        let plan = try Planner(registry: registry).plan(loaded.playbook, inventory: loaded.inventory)
        return await FaultExplorer(prepared: try PreparedPlan(plan, registry: registry), registry: registry,
                                   depth: depth, kinds: kinds).explore()
    }

    @Test func theRollingPatchHoldsEverySingleKillOnTheDemoFleet() async throws {
        let result = try await Self.verify("Playbooks/rolling-patch.yaml")
        #expect(result.isSafe, "\(result.counterexamples.map(\.violation))")
        #expect(result.boundaries > 200)
        #expect(result.explored > 1000 && result.held == result.explored)
    }

    @Test func twoCopiesOfANodeSyncingAtOnceHoldEverySingleKill() async throws {
        let result = try await Self.verify("Tests/Playbooks/parallel-syncs.yaml")
        #expect(result.isSafe, "\(result.counterexamples.map(\.violation))")
        #expect(result.explored > 100 && result.held == result.explored)
    }

    @Test func breakBeforeMakeLosesAShardWhenItsPrimaryDiesMidSync() async throws {
        let result = try await Self.verify("Tests/Playbooks/unsafe-break-before-make.yaml")
        #expect(!result.isSafe)
        let example = try #require(result.counterexamples.first)
        #expect(example.faults.count == 1)
        #expect(example.violation.invariant == 1)
        #expect(example.violation.message.contains("no in-sync replica was left"))
        // It points at the migrate_shards step, where the old copy is dropped before the sync.
        #expect(example.violation.location?.file.hasSuffix("unsafe-break-before-make.yaml") == true)
        #expect(example.violation.location?.line == 22)
        #expect(example.faults[0].description.hasPrefix("kill "))
        #expect(example.faults[0].description.hasSuffix(".2"), "right after the old copy was dropped: \(example.faults[0])")
        #expect(example.trace.contains { $0.contains("drop the copy of") && $0.contains("← here") })
        // The printed fault reads back as the same fault: `run --inject` replays it.
        #expect(try FaultSyntax.parse(example.faults[0].description) == example.faults[0])
    }

    @Test func smallerVMsHaveNoHeadroomForPrimariesPromotedAfterAFailure() async throws {
        let result = try await Self.verify("Tests/Playbooks/unsafe-small-vms.yaml")
        #expect(!result.isSafe)
        #expect(result.counterexamples.allSatisfy { $0.violation.invariant == 8 && $0.faults.count == 1 })
        #expect(result.counterexamples.contains { $0.violation.message.contains("over its capacity 16384 MB / 3.0 CPUs") })
    }

    @Test func doubleFaultsFindTheLossOfBothCopiesOfAShard() async throws {
        let result = try await Self.verify("Playbooks/rolling-patch.yaml", inventory: "Playbooks/inventories/local-cluster.yaml", depth: .double)
        #expect(result.counterexamples.contains { $0.faults.count == 2 && $0.violation.invariant == 1 })
        #expect(result.explored > result.boundaries * 6, "double schedules were explored, not only single ones")
    }

    @Test func pausesLongEnoughToBeDeclaredDownAreExploredToo() async throws {
        let result = try await Self.verify("Playbooks/rolling-patch.yaml", kinds: [.pause])
        #expect(result.explored > 1000)
        #expect(result.isSafe, "\(result.counterexamples.map(\.violation))")
    }
}

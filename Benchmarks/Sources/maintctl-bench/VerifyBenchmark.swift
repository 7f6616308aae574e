import Foundation
import MaintenanceKit
import PlaybookVerifier

/// `maintctl verify`'s speed: schedules per second and wall time for single kills on the demo
/// fleet's rolling patch (goal ≤ 10 s), double kills on it (goal < 60 s), and both on the local cluster.
struct VerifyBenchmark {
    var registry: PluginRegistry
    var repetitions: Int

    struct Case {
        var name: String
        var playbook: String
        var inventory: String
        var depth: FaultExplorer.Depth
    }

    struct Result {
        var name: String
        var depth: FaultExplorer.Depth
        var schedules = 0
        var boundaries = 0
        var counterexamples = 0
        var wall = Timing()
    }

    static let cases = [
        Case(name: "demo fleet, rolling patch", playbook: RepositoryFiles.rollingPatch, inventory: RepositoryFiles.demoFleet, depth: .single),
        Case(name: "local cluster, rolling patch", playbook: RepositoryFiles.rollingPatch, inventory: RepositoryFiles.localCluster, depth: .single),
        Case(name: "local cluster, rolling patch", playbook: RepositoryFiles.rollingPatch, inventory: RepositoryFiles.localCluster, depth: .double),
        Case(name: "demo fleet, rolling patch", playbook: RepositoryFiles.rollingPatch, inventory: RepositoryFiles.demoFleet, depth: .double),
    ]

    func measure() async throws -> [Result] {
        var results: [Result] = []
        for benchmarkCase in Self.cases {
            let loaded = try PlaybookLoader(registry: registry).load(path: benchmarkCase.playbook, inventoryOverride: benchmarkCase.inventory)
            let plan = try Planner(registry: registry).plan(loaded.playbook, inventory: loaded.inventory)
            var result = Result(name: benchmarkCase.name, depth: benchmarkCase.depth)
            for _ in 0..<repetitions {
                let explorer = FaultExplorer(prepared: try PreparedPlan(plan, registry: registry), registry: registry,
                                             depth: benchmarkCase.depth)
                let (verification, took) = await timedAsync { await explorer.explore() }
                result.schedules = verification.explored + verification.notApplicable
                result.boundaries = verification.boundaries
                result.counterexamples = verification.counterexamples.count
                result.wall.record(took)
            }
            results.append(result)
        }
        return results
    }
}

/// The verify benchmark's table: one row per case.
struct VerifyReport {
    private(set) var table = ResultTable(header: ["case", "faults", "boundaries", "schedules", "counterexamples",
                                                  "median s", "min s", "schedules/s"])

    init(_ results: [VerifyBenchmark.Result]) {
        for result in results {
            let seconds = result.wall.median.milliseconds / 1000
            table.add([result.name, result.depth == .single ? "single kill" : "double kill", Format.count(result.boundaries),
                       Format.count(result.schedules), Format.count(result.counterexamples),
                       String(format: "%.2f", seconds), String(format: "%.2f", result.wall.min.milliseconds / 1000),
                       Format.count(Int((Double(result.schedules) / max(seconds, 1e-9)).rounded()))])
        }
    }
}

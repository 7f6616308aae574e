import Logging
import MaintenanceKit
import Plugins
import ProcessBackend

extension MaintctlBench {
    /// The `--shapes` sweep: the rolling patch under the probe on each `ClusterShape.sweep`
    /// cache of local processes (or each `--shape`). Prints the per-shape table and where each shape's round goes,
    /// and returns the failed checks.
    static func runShapes(_ options: BenchmarkOptions) async throws -> [String] {
        let registry = try PluginRegistry(steps: BuiltinPlugins.all, backends: [ProcessBackendFactory()])
        var playbook = try RepositoryFiles.read(RepositoryFiles.rollingPatch)
        if let parallel = options.parallelSyncs {
            let line = "          order: replicas_first"
            guard playbook.text.contains(line) else { throw BenchmarkFailure("\(playbook.path) has no '\(line)' to add parallel_syncs to") }
            playbook.text = playbook.text.replacingOccurrences(of: line, with: line + "\n          parallel_syncs: \(parallel)")
        }
        print("")
        print("Cluster shapes: Playbooks/rolling-patch.yaml on one cache of local redis-server processes (\(redisVersion())), "
              + "\(Format.count(options.shapeKeys)) keys, \(options.shapeRounds) rounds per shape, probe at 200 writes/s per shard"
              + (options.parallelSyncs.map { ", parallel_syncs: \($0)" } ?? ""))
        var failures: [String] = []
        var report = ShapeReport()
        var details = ProcessReport()
        let shapes = options.customShapes.isEmpty
            ? ClusterShape.sweep.filter { options.shapeNodeCounts?.contains($0.nodes) ?? true } : options.customShapes
        for shape in shapes {
            print("  \(shape): starting the cluster, loading, \(options.shapeRounds) rounds …")
            let benchmark = ProcessBenchmark(keys: options.shapeKeys, rounds: options.shapeRounds, registry: registry,
                                             playbook: playbook, inventory: try shape.inventory(), nodes: .processes, shape: shape,
                                             logLevel: options.timeline ? .debug : .warning)
            let result = await benchmark.measure()
            report.add(result, shape: shape)
            details.add(result, label: shape.description)
            failures += result.failures
        }
        print("")
        print("Per shape (medians over rounds; per-copy overhead = a copy move's time minus its full sync and its failover's "
              + "write pause, over every move of every round)")
        print(report.table.text)
        if let narrow = report.overheadP50.first, let wide = report.overheadP50.first(where: { $0.0.nodes == 12 }), narrow.1 > 0 {
            print("  per-copy overhead p50, \(wide.0) against \(narrow.0): \(Format.fixed(wide.1 / narrow.1, decimals: 2))× (goal <= 1.2×)")
        }
        print("")
        print("Where a round's wall time goes, per shape")
        print(details.breakdown.text)
        for failure in failures { print("FAIL: \(failure)") }
        return failures
    }
}

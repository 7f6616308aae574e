import Foundation
import MaintenanceKit
import Plugins
import ProcessBackend

extension MaintctlBench {
    /// The `--process` benchmark: one live cluster per key count. Prints its tables and a
    /// FAIL line per failed check, and returns those failures.
    static func runProcess(_ options: BenchmarkOptions) async throws -> [String] {
        let registry = try PluginRegistry(steps: BuiltinPlugins.all, backends: [ProcessBackend.descriptor])
        let playbook = try RepositoryFiles.read(RepositoryFiles.rollingPatch)
        let inventory: Inventory
        do {
            inventory = try InventoryLoader.load(path: RepositoryFiles.localCluster)
        } catch {
            throw BenchmarkFailure("cannot load \(RepositoryFiles.localCluster): \(FleetBenchmark.firstLines(of: error))")
        }
        print("")
        print("Process: Playbooks/rolling-patch.yaml on Playbooks/inventories/local-cluster.yaml as local redis-server "
              + "processes (\(redisVersion())); \(options.processRounds) rounds per key count, "
              + "probe at 200 writes/s per shard")
        var report = ProcessReport()
        var failures: [String] = []
        for keys in options.processKeyCounts {
            print("  \(Format.count(keys)) keys: starting the cluster, loading, \(options.processRounds) rounds …")
            let benchmark = ProcessBenchmark(keys: keys, rounds: options.processRounds, registry: registry,
                                             playbook: playbook, inventory: inventory)
            let result = await benchmark.measure()
            report.add(result)
            failures += result.failures
        }
        print("")
        print("Client impact (gaps over all failovers; the probe's gap is its longest wait between acknowledged writes to the shard)")
        print(report.impact.text)
        print("")
        print("Time per round, median over rounds (unavoidable = full syncs + backend-reported write gaps; "
              + "overhead = (wall - unavoidable) / unavoidable)")
        print(report.time.text)
        print("")
        print("Every round")
        print(report.rounds.text)
        print("")
        print("Where a round's wall time goes (median over rounds of each part's total per round; the parts overlap: "
              + "steps contain backend calls)")
        print(report.breakdown.text)
        for failure in failures { print("FAIL: \(failure)") }
        return failures
    }

    /// The first line of `redis-server --version`, or "redis-server" when it cannot be run.
    static func redisVersion() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "redis-server" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: " ").first { $0.hasPrefix("v=") }.map { "redis-server " + $0.dropFirst(2) } ?? "redis-server"
    }
}

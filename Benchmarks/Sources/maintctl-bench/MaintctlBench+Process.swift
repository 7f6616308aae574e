import Foundation
import MaintenanceKit
import Plugins
import ProcessBackend

extension MaintctlBench {
    /// The `--process` benchmark: one live cluster per key count, of local processes and, with
    /// `--container`, of containers too (after the node start times). Prints its tables and a
    /// FAIL line per failed check, and returns those failures.
    static func runProcess(_ options: BenchmarkOptions) async throws -> [String] {
        let registry = try PluginRegistry(steps: BuiltinPlugins.all, backends: [ProcessBackendFactory()])
        var failures: [String] = []
        let kinds: [ClusterNodes] = options.container ? [.processes, .containers] : [.processes]
        if options.container { failures += await runNodeStart(trials: options.nodeStartTrials) }
        let playbook = try RepositoryFiles.read(RepositoryFiles.rollingPatch)
        let inventory: Inventory
        do {
            inventory = try InventoryLoader.load(path: RepositoryFiles.localCluster)
        } catch {
            throw BenchmarkFailure("cannot load \(RepositoryFiles.localCluster): \(FleetBenchmark.firstLines(of: error))")
        }
        print("")
        print("Process: Playbooks/rolling-patch.yaml on Playbooks/inventories/local-cluster.yaml as "
              + kinds.map { $0 == .processes ? "local redis-server processes" : "one container per node" }.joined(separator: " and as ")
              + " (\(redisVersion())); \(options.processRounds) rounds per key count, probe at 200 writes/s per shard")
        var report = ProcessReport()
        for keys in options.processKeyCounts {
            for nodes in kinds {
                print("  \(Format.count(keys)) keys on \(nodes): starting the cluster, loading, \(options.processRounds) rounds …")
                let benchmark = ProcessBenchmark(keys: keys, rounds: options.processRounds, registry: registry,
                                                 playbook: playbook, inventory: inventory, nodes: nodes)
                let result = await benchmark.measure()
                report.add(result)
                failures += result.failures
            }
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

    /// The `--container` node start times: prints a table and a FAIL line per failed trial, and
    /// returns those failures.
    static func runNodeStart(trials: Int) async -> [String] {
        print("")
        print("Node start: a node provisioned (a directory; a container created and started from \(NodeStartBenchmark.image)), "
              + "one redis-server started on it until it answers PING, the node deleted; \(trials) trials each")
        let result = await NodeStartBenchmark(trials: trials).measure()
        if let build = result.imageBuild {
            print("  image built from the local redis-server and imported: \(Format.ms(build)) ms")
        }
        var table = ResultTable(header: ["nodes", "provision p50 ms", "max ms", "server to PING p50 ms", "max ms",
                                         "node to PING p50 ms", "max ms", "delete p50 ms", "max ms"])
        for nodes in [ClusterNodes.processes, .containers] {
            guard let samples = result.samples[nodes] else { continue }
            let cells = [samples.provision, samples.serverToPing, samples.nodeToPing, samples.delete].flatMap { values in
                let microseconds = values.map { Int64($0.microseconds) }
                return [Stats.percentile(microseconds, 50), microseconds.max()].map { $0.map { Format.fixed(Double($0) / 1000, decimals: 1) } ?? "-" }
            }
            table.add([nodes.description] + cells)
        }
        print(table.text)
        for failure in result.failures { print("FAIL: \(failure)") }
        return result.failures
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

import Foundation
import Logging
import MaintenanceKit
import ProcessBackend
import RedisWire

/// The unplanned failover on a real cluster (`--unplanned N`): N trials, each on a fresh
/// cluster of `Playbooks/inventories/local-cluster.yaml` with 1,000 keys, in which the process
/// backend's failure detector watches (default settings: 100 ms heartbeats, down after
/// 750 ms, quorum 2) and the node holding s1's primary is SIGKILLed. It measures what the
/// backend reports — detection (last answer → declaration) and promotion (declaration →
/// verified primary) — and, as a cross-check, the time from the kill until the failure was
/// collected. For comparison, a few trials without the detector let Redis Cluster fail over
/// by itself with `cluster-node-timeout` tuned down to `redisNodeTimeoutMS`.
struct UnplannedFailoverBenchmark {
    /// Trials with maintctl's detector.
    var trials: Int
    /// Trials of Redis's own failover.
    var redisTrials: Int
    /// The `cluster-node-timeout` of those trials, in milliseconds.
    var redisNodeTimeoutMS = 750
    /// The inventory each trial's cluster starts from.
    var inventory: Inventory

    struct Result: Sendable {
        var detection: [Duration] = []
        var promotion: [Duration] = []
        var reported: [Duration] = []
        var redisOwn: [Duration] = []
        var failures: [String] = []
    }

    /// Runs every trial; never throws, failures are in the result.
    func measure() async -> Result {
        var result = Result()
        var logger = Logger(label: "maintctl-bench")
        logger.logLevel = .error
        for trial in 0..<trials {
            let (sample, failures) = await withCluster(trial: "detector trial \(trial + 1)", logger: logger, detectorTrial)
            result.failures += failures
            guard let sample else { continue }
            result.detection.append(sample.detection)
            result.promotion.append(sample.promotion)
            result.reported.append(sample.reported)
        }
        for trial in 0..<redisTrials {
            let (sample, failures) = await withCluster(trial: "Redis failover trial \(trial + 1)", logger: logger, redisTrial)
            result.failures += failures
            if let sample { result.redisOwn.append(sample) }
        }
        return result
    }

    /// One kill with the detector watching: what the backend reported, and when.
    private func detectorTrial(_ backend: ProcessBackend) async throws -> (detection: Duration, promotion: Duration, reported: Duration) {
        try await backend.startFailureDetector(for: "local")
        // Heartbeats established and answered.
        try await Task.sleep(for: .milliseconds(300))
        // inject returns once the detector has ruled on the killed node, so this times the whole
        // outage as the rollout sees it: kill, detection, promotion, report.
        let killed = ContinuousClock.now
        let node = try await backend.inject(Fault(.kill, .primaryOf(shard: "s1")), in: "local")
        var failures: [UnplannedFailure] = []
        while failures.isEmpty, ContinuousClock.now - killed < .seconds(10) {
            failures = try await backend.unplannedFailures(in: "local")
            if failures.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
        }
        let reported = ContinuousClock.now - killed
        await backend.stopFailureDetector(for: "local")
        guard let failover = failures.first?.failovers.first, failures.first?.node == node,
              let detection = failover.detection, let promotion = failover.promotion else {
            throw BenchmarkFailure("no failover of s1 reported within 10 s of killing \(node): \(failures.map(\.summary))")
        }
        return (detection, promotion, reported)
    }

    /// One kill with Redis's own failover, `cluster-node-timeout` tuned down, and no detector:
    /// the time until the replica says it is master.
    private func redisTrial(_ backend: ProcessBackend) async throws -> Duration {
        let rows = await backend.status()
        for row in rows {
            let link = try await RedisConnection.connect(port: row.port)
            try await link.command("CONFIG", "SET", "cluster-node-timeout", "\(redisNodeTimeoutMS)")
            await link.close()
        }
        // Let every server's pings run on the new timeout.
        try await Task.sleep(for: .seconds(1))
        guard let replica = rows.first(where: { $0.shard == "s1" && $0.role == "replica" }) else {
            throw BenchmarkFailure("s1 has no replica")
        }
        _ = try await backend.inject(Fault(.kill, .primaryOf(shard: "s1")), in: "local")
        let killed = ContinuousClock.now
        let link = try await RedisConnection.connect(port: replica.port)
        var promoted: Duration?
        while promoted == nil, ContinuousClock.now - killed < .seconds(30) {
            if (try? await link.command("ROLE"))?.elements?.first?.string == "master" {
                promoted = ContinuousClock.now - killed
            } else {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        await link.close()
        if let promoted { return promoted }
        throw BenchmarkFailure("Redis did not fail s1 over within 30 s (cluster-node-timeout \(redisNodeTimeoutMS) ms)")
    }

    /// Starts a cluster with 1,000 keys and s1's replica in sync, runs `body`, and tears the
    /// cluster down whatever happened. Returns what `body` returned (nil when something
    /// failed) and the failures.
    private func withCluster<T>(trial: String, logger: Logger, _ body: (ProcessBackend) async throws -> T) async -> (T?, [String]) {
        let directory = NSTemporaryDirectory() + "maintctl-bench-unplanned-\(UUID().uuidString)"
        let backend: ProcessBackend
        do {
            backend = try await ProcessBackend.up(inventory, in: directory, binaries: ["default": "redis-server"], logger: logger)
        } catch {
            let left = await ClusterTeardown.sweep(directory: directory)
            return (nil, ["\(trial): cluster up failed: \(error)"] + (left.isEmpty ? [] : ["\(trial): redis-server processes left: \(left)"]))
        }
        var value: T?
        var failures: [String] = []
        do {
            try await KeyLoader(count: 1000).load(through: backend)
            _ = try await backend.waitForSync(of: "s1", on: "node-2", in: "local")
            // The backend's background work (its failure detector) runs beside the trial.
            value = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await backend.run() }
                defer { group.cancelAll() }
                return try await body(backend)
            }
        } catch {
            failures.append("\(trial): \(error)")
        }
        let left = await ClusterTeardown.down(backend, directory: directory)
        if !left.isEmpty { failures.append("\(trial): redis-server processes left after down(): \(left)") }
        return (value, failures)
    }
}

/// The table of an unplanned-failover run: p50, p99 and max of each measurement.
struct UnplannedFailoverReport {
    var table = ResultTable(header: ["measurement", "trials", "p50 ms", "p99 ms", "max ms"])

    init(_ result: UnplannedFailoverBenchmark.Result, redisNodeTimeoutMS: Int) {
        add("detector: detection (last answer -> declared)", result.detection)
        add("detector: promotion (declared -> verified primary)", result.promotion)
        add("detector: detection + promotion", zip(result.detection, result.promotion).map { $0 + $1 })
        add("detector: inject kill -> failure collected", result.reported)
        add("Redis's own failover, node-timeout \(redisNodeTimeoutMS) ms: kill -> replica is master", result.redisOwn)
    }

    private mutating func add(_ name: String, _ samples: [Duration]) {
        let micros = samples.map { Int64($0.microseconds.rounded()) }
        func cell(_ percent: Double) -> String {
            Stats.percentile(micros, percent).map { Format.fixed(Double($0) / 1000, decimals: 1) } ?? "-"
        }
        table.add([name, "\(samples.count)", cell(50), cell(99), cell(100)])
    }
}

extension MaintctlBench {
    /// The `--unplanned N` benchmark: prints its table and a FAIL line per failed trial, and
    /// returns those failures.
    static func runUnplanned(trials: Int) async throws -> [String] {
        let inventory: Inventory
        do {
            inventory = try InventoryLoader.load(path: RepositoryFiles.localCluster)
        } catch {
            throw BenchmarkFailure("cannot load \(RepositoryFiles.localCluster): \(FleetBenchmark.firstLines(of: error))")
        }
        let benchmark = UnplannedFailoverBenchmark(trials: trials, redisTrials: max(3, trials / 4), inventory: inventory)
        print("")
        print("Unplanned failover: SIGKILL of the node holding s1's primary in Playbooks/inventories/local-cluster.yaml as local "
              + "redis-server processes (\(redisVersion())), a fresh cluster with 1,000 keys per trial; "
              + "\(benchmark.trials) trials with maintctl's failure detector (defaults: heartbeat 100 ms, down after 750 ms, "
              + "quorum 2), \(benchmark.redisTrials) with Redis's own failover instead …")
        let result = await benchmark.measure()
        print(UnplannedFailoverReport(result, redisNodeTimeoutMS: benchmark.redisNodeTimeoutMS).table.text)
        for failure in result.failures { print("FAIL: \(failure)") }
        return result.failures
    }
}

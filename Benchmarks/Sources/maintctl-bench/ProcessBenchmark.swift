import Foundation
import Logging
import MaintenanceKit
import ProcessBackend

/// The rolling patch on a real cluster (`--process`, `--container`): starts
/// `Playbooks/inventories/local-cluster.yaml` as local `redis-server` processes or as one
/// container per node, loads `keys` keys, runs `rounds` rolling patches
/// (7.2.5, 7.2.6, …) under a client probe, checks every key afterwards and tears the cluster
/// down, whatever happened.
struct ProcessBenchmark {
    /// Keys loaded before the first round.
    var keys: Int
    /// Rolling patches run one after the other.
    var rounds: Int
    /// The plugins steps resolve to.
    var registry: PluginRegistry
    /// `Playbooks/rolling-patch.yaml`.
    var playbook: SourceFile
    /// The inventory the cluster starts from.
    var inventory: Inventory
    /// Where the nodes live.
    var nodes: ClusterNodes
    /// The probe's write rate per shard.
    var writesPerSecond = 200
    /// The inventory's shape, when it is one of the sweep's rather than `local-cluster.yaml`.
    var shape: ClusterShape?
    /// What the backend logs (to standard error): `.debug` shows the phases of every copy move.
    var logLevel: Logger.Level = .warning

    /// What one key count measured; `failures` lists every check that did not hold.
    struct Result: Sendable {
        var keys: Int
        var nodes: ClusterNodes
        var load: Duration?
        var rounds: [RollingPatchRound.Result] = []
        /// Keys missing or wrong after the last round (nil when not checked).
        var missingKeys: Int?
        /// Servers of the cluster still alive after the teardown.
        var leftoverPIDs: [pid_t] = []
        var failures: [String] = []
    }

    /// The version round `round` (from 0) patches to.
    static func version(ofRound round: Int) -> String { "7.2.\(5 + round)" }

    /// The key count and where the nodes live, as failures name them.
    var name: String { "\(Format.count(keys)) keys on \(nodes)" + (shape.map { " (\($0))" } ?? "") }

    /// Runs everything; never throws, failures are in the result.
    func measure() async -> Result {
        var result = Result(keys: keys, nodes: nodes)
        var logger = Logger(label: "maintctl-bench")
        logger.logLevel = logLevel
        let directory = NSTemporaryDirectory() + "maintctl-bench-\(UUID().uuidString)"
        let backend: ProcessBackend
        do {
            backend = try await nodes.up(inventory, in: directory, logger: logger)
        } catch {
            result.failures.append("\(name): cluster up failed: \(error)")
            result.leftoverPIDs = await ClusterTeardown.sweep(directory: directory)
            return result
        }
        do {
            try await exercise(backend, logger: logger, into: &result)
        } catch {
            result.failures.append("\(name): \(error)")
        }
        result.leftoverPIDs = await ClusterTeardown.down(backend, directory: directory)
        if !result.leftoverPIDs.isEmpty {
            result.failures.append("\(name): redis-server processes left after down(): \(result.leftoverPIDs)")
        }
        if FileManager.default.fileExists(atPath: directory) {
            result.failures.append("\(name): the state directory \(directory) is still there after down()")
        }
        return result
    }

    /// Load, rounds, final read-back; each check that fails is added to `result.failures`.
    private func exercise(_ backend: ProcessBackend, logger: Logger, into result: inout Result) async throws {
        let loader = KeyLoader(count: keys)
        result.load = try await timedAsync { try await loader.load(through: backend) }.1
        let expectedFailovers = inventory.caches.reduce(0) { $0 + $1.shards.count }
        for round in 0..<rounds {
            let patch = RollingPatchRound(backend: backend, registry: registry, playbook: playbook,
                                          version: Self.version(ofRound: round), writesPerSecond: writesPerSecond)
            let outcome = try await patch.run(logger: logger)
            result.rounds.append(outcome)
            result.failures += check(outcome, expectedFailovers: expectedFailovers)
            guard outcome.summary.status == .succeeded else { break } // later rounds would start from a broken cluster
        }
        let missing = try await loader.missing(through: backend)
        result.missingKeys = missing
        if missing != 0 { result.failures.append("\(name): \(missing) keys missing or wrong after the last round") }
    }

    /// The checks of one round: succeeded, one failover per shard as planned, no acknowledged write lost.
    private func check(_ round: RollingPatchRound.Result, expectedFailovers: Int) -> [String] {
        let name = "\(self.name), round \(round.version)"
        let summary = round.summary
        var failures: [String] = []
        if summary.status != .succeeded {
            let why = summary.caches.first { $0.status != .succeeded }.map { "\($0.cache): \($0.error ?? $0.status.rawValue)" } ?? ""
            failures.append("\(name): rollout ended \(summary.status.rawValue) \(why)")
        }
        if summary.failovers.count != expectedFailovers || round.plannedFailovers != expectedFailovers {
            failures.append("\(name): \(summary.failovers.count) failovers made, \(round.plannedFailovers) planned, \(expectedFailovers) expected")
        }
        if round.probeGaps.count != summary.failovers.count {
            failures.append("\(name): the probe measured \(round.probeGaps.count) of \(summary.failovers.count) failovers")
        }
        if let impact = round.impact {
            if impact.acknowledgedWritesLost != 0 { failures.append("\(name): \(impact.acknowledgedWritesLost) acknowledged writes lost") }
            if impact.writesAcknowledged == 0 { failures.append("\(name): the probe had no write acknowledged") }
        } else {
            failures.append("\(name): no probe result")
        }
        return failures
    }
}

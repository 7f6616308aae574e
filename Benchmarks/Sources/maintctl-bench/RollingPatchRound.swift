import ClusterProbe
import Logging
import MaintenanceKit
import ProcessBackend
import RedisWire

/// One rolling patch of a live process-backend cluster to `version`, with a client probe
/// writing to every shard throughout.
struct RollingPatchRound {
    /// The live cluster.
    var backend: ProcessBackend
    /// The plugins the playbook's steps resolve to.
    var registry: PluginRegistry
    /// `Playbooks/rolling-patch.yaml` as read from disk.
    var playbook: SourceFile
    /// The `target_version` this round patches to.
    var version: String
    /// The probe's steady write rate per shard.
    var writesPerSecond: Int

    /// What one round measured.
    struct Result: Sendable {
        var version: String
        /// The rollout's summary with the probe's impact recorded (`failovers[i].unavailableMS`
        /// is the probe's gap, `backendUnavailableMS` the backend's own).
        var summary: RolloutSummary
        /// Failovers the plan expected.
        var plannedFailovers: Int
        /// Wall time of `RolloutRuntime.run()`, timed around the call.
        var runWall: Duration
        /// Per-step and per-backend-call totals (`step …`, `backend.…`).
        var ledger: [String: DurationLedger.Entry]
        /// Every copy move, in the order they finished.
        var moves: [CopyMoveLog.Move]

        var impact: ClientImpact? { summary.clientImpact }
        /// The backend's write gaps, in ms.
        var backendGaps: [Int64] { summary.failovers.map { $0.backendUnavailableMS ?? $0.unavailableMS } }
        /// The probe's write gaps, in ms (nil when no probe result was recorded).
        var probeGaps: [Int64] { summary.failovers.filter { $0.backendUnavailableMS != nil }.map(\.unavailableMS) }
        /// Full syncs plus the backend-reported write gaps: the part of the wall time no
        /// orchestration can remove.
        var unavoidableMS: Int64 { summary.syncMS + backendGaps.reduce(0, +) }
        /// (wall − unavoidable) / unavoidable, in percent.
        var overheadPercent: Double {
            unavoidableMS > 0 ? Double(summary.durationMS - unavoidableMS) / Double(unavoidableMS) * 100 : 0
        }
        /// Time in `failover` outside the write pause: checks before it, replicas re-pointed after it.
        var failoverRestMS: Double {
            (ledger["backend.failover"]?.total ?? .zero).milliseconds - Double(backendGaps.reduce(0, +))
        }
        /// Full-sync throughput: MB moved per second spent waiting for full syncs.
        var syncMBPerSecond: Double { summary.syncMS > 0 ? summary.syncMB / (Double(summary.syncMS) / 1000) : 0 }
    }

    /// Loads the playbook with this round's version against the live inventory, plans it and
    /// runs it under the probe.
    /// - Throws: `BenchmarkFailure` when the playbook is rejected, cannot be planned, or no
    ///   probe key falls into a shard. A rollout that fails is returned, not thrown.
    func run(logger: Logger) async throws -> Result {
        let source = SourceFile(path: playbook.path, text: try Self.withTargetVersion(version, in: playbook.text))
        let inventory: Inventory, loaded: LoadedPlaybook, plan: Plan
        do {
            inventory = try await backend.currentInventory()
            loaded = try PlaybookLoader(registry: registry).load(source, inventory: inventory)
            plan = try Planner(registry: registry).plan(loaded.playbook, inventory: inventory)
        } catch {
            throw BenchmarkFailure("round \(version): cannot load or plan the playbook:\n\(FleetBenchmark.firstLines(of: error))")
        }
        let probe: ClusterProbe
        do {
            probe = try ClusterProbe(shards: await backend.shardSlots(), seeds: await backend.serverAddresses().map { ServerAddress(host: $0.host, port: $0.port) },
                                     writesPerSecond: writesPerSecond)
        } catch {
            throw BenchmarkFailure("round \(version): cannot set up the probe: \(error)")
        }
        let ledger = DurationLedger()
        let moves = CopyMoveLog()
        let (backend, registry) = (self.backend, self.registry)
        let (measured, impact) = await probe.measure(during: { () -> Swift.Result<(RolloutSummary, Duration), any Error> in
            // Made here so its clock starts with the rollout, after the probe's warm-up.
            let timed = TimedBackend(base: backend, ledger: ledger)
            do {
                let runtime = try RolloutRuntime(plan: plan, registry: registry, backend: timed,
                    options: RolloutOptions(reporter: ActionTimingReporter(ledger: ledger, moves: moves), stop: StopSignal(), logger: logger))
                return .success(await timedAsync { await runtime.run() })
            } catch {
                return .failure(error)
            }
        }, currentServers: { await backend.serverAddresses().map { ServerAddress(host: $0.host, port: $0.port) } })
        let (rolloutSummary, runWall): (RolloutSummary, Duration)
        do {
            (rolloutSummary, runWall) = try measured.get()
        } catch {
            throw BenchmarkFailure("round \(version): the plan cannot run: \(error)")
        }
        var summary = rolloutSummary
        summary.record(impact)
        return Result(version: version, summary: summary, plannedFailovers: plan.expectedFailovers.count,
                      runWall: runWall, ledger: ledger.snapshot, moves: moves.all)
    }

    /// The playbook text with its `target_version:` variable set to `version`.
    /// - Throws: `BenchmarkFailure` when the text has no such line.
    static func withTargetVersion(_ version: String, in text: String) throws -> String {
        var found = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.drop { $0 == " " }
            guard !found, trimmed.hasPrefix("target_version:") else { return String(line) }
            found = true
            return String(line.prefix(line.count - trimmed.count)) + "target_version: \"\(version)\""
        }
        guard found else { throw BenchmarkFailure("the playbook has no 'target_version:' line to set to \(version)") }
        return lines.joined(separator: "\n")
    }
}

import Logging
import MaintenanceKit
import RolloutJournal

/// One process's drive of a rollout, shared by `run` and `resume`: records the session in the
/// journal, runs the plan (with the probe when asked), writes the summary, and turns its
/// status into the exit code.
struct RolloutSession {
    var plan: MaintenanceKit.Plan
    var registry: PluginRegistry
    var backend: any Backend
    /// Nil for a dry run, which touches nothing and records nothing.
    var journal: JournalFile?
    /// The locks the run holds, renewed while it goes on; nil for a dry run.
    var locks: HeldLocks?
    var progress = RolloutProgress()
    /// Faults to inject, by cache.
    var faults: [String: [ScheduledFault]] = [:]
    var options: ExecutionOptions
    var seed: UInt64
    var logger: Logger

    /// Runs the rollout to its end or to a stop.
    /// - Parameter kind: `run` or `resume`, as the journal records the session.
    /// - Throws: the exit code for a rollout that did not succeed.
    func execute(_ kind: String) async throws {
        // On a terminal, a live block replaces the plain lines (it prints them above itself).
        let live = options.format == .text && !options.textToStandardError && LiveProgress.isWanted(disabled: options.noProgress)
            ? LiveProgress(plan: plan, clockRate: Registry.isLive(backend.descriptor.id) ? 1 : options.timeScale ?? 1,
                           syncs: backend as? any SyncProgressReporting) : nil
        let text: any RolloutReporter = live ?? TextReporter(write: options.textToStandardError ? Output.error : Output.line)
        let events = try options.events.map(EventFile.init)
        let reporter = ReporterGroup([text] + (events.map { [$0.reporter] } ?? []))
        if let journal {
            do {
                // A simulated world lives in its journal: a commit that reaches the operating
                // system survives a maintctl crash, which is all that world can outlive.
                try journal.setDurability(try Registry.factory(backend.descriptor.id).journalDurability)
                try journal.beginSession(kind)
            } catch {
                Output.error("maintctl: \(journal.path): cannot write the journal: \(error)")
                throw Exit.invalidInput
            }
        }
        let stop = StopSignal()
        let interrupts = InterruptHandler(stop: stop)
        defer { interrupts.cancel() }
        let recorder = journal.map { CommandEnvironment.current.journal($0) }
        var rolloutOptions = RolloutOptions(reporter: reporter, stop: stop, logger: logger)
        rolloutOptions.seed = seed
        rolloutOptions.journal = recorder
        rolloutOptions.progress = progress
        rolloutOptions.honorWindows = !options.now
        rolloutOptions.faults = faults
        let runtime: RolloutRuntime
        do {
            runtime = try RolloutRuntime(plan: plan, registry: registry, backend: backend, options: rolloutOptions)
        } catch {
            Output.printDiagnostics(error)
            throw Exit.invalidInput
        }
        // The locks are renewed beside the rollout, and no longer once it is over; so is the live block.
        Output.live.withLock { $0 = live }
        let summary = try await withThrowingTaskGroup(of: Void.self) { group in
            if let locks { group.addTask { await locks.renew(stop: stop) } }
            if let live { group.addTask { await live.tick() } }
            // Gathered journal writes reach the file within a batch interval even while no
            // action ends (a simulated run at --time-scale): `status` in another terminal keeps up.
            if let journal { group.addTask { await journal.commitPendingUntilCancelled() } }
            if let events, let syncs = backend as? any SyncProgressReporting {
                let caches = plan.caches.map(\.cache)
                group.addTask { await EventFile.followSyncs(of: syncs, caches: caches, into: events.reporter) }
            }
            defer {
                group.cancelAll()
                // Off the screen first: a line written meanwhile goes out plain, not under the block.
                live?.finish()
                Output.live.withLock { $0 = nil }
            }
            return try await rollout(runtime)
        }
        if let journal {
            do {
                try journal.endSession(summary)
            } catch {
                Output.error("maintctl: \(journal.path): could not record the end of the run: \(error)")
            }
        }
        if options.format == .json { try Output.json(summary) }
        switch summary.status {
        case .succeeded: return
        case .failed: throw Exit.failed
        case .aborted, .paused: throw Exit.stopped
        }
    }

    /// Runs the rollout, with the probe writing through the cluster when asked.
    private func rollout(_ runtime: RolloutRuntime) async throws -> RolloutSummary {
        guard options.probe else { return await runtime.run() }
        guard let cluster = backend as? any ClientReachable else {
            Output.error("maintctl: --probe writes through a live cluster; use it with --backend process|container --state DIR")
            throw Exit.invalidInput
        }
        var (summary, impact) = try await ProbeSession.measure(cluster, writesPerSecond: options.probeRate,
                                                                 confirmingReplicas: options.probeWait) { await runtime.run() }
        summary.record(impact)
        if options.format == .text { TextReporter.impactLines(impact).forEach(options.textToStandardError ? Output.error : Output.line) }
        return summary
    }
}

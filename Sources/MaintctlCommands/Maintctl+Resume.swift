import ArgumentParser
import MaintenanceKit
import RolloutJournal

extension Maintctl {
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Continue an interrupted rollout from where it really stands.",
            discussion: """
                Executes the journaled plan (it needs no playbook): actions that succeeded are not done again; an action that started and \
                recorded no outcome is performed again, and checks the live state before it acts. Ends with the same \
                summary as 'run'.
                """)

        @OptionGroup var journalArgument: JournalArgument
        @OptionGroup var options: ExecutionOptions

        func run() async throws {
            let (file, snapshot) = try journalArgument.open()
            let record = snapshot.record
            switch snapshot.status {
            case .succeeded:
                Output.error("maintctl: \(file.path): the rollout already succeeded; nothing to resume")
                if options.format == .json, let summary = snapshot.summaryJSON { Output.line(summary) }
                return
            case .rolledBack:
                Output.error("maintctl: error: \(file.path): the rollout was rolled back; start a new run instead")
                throw Exit.invalidInput
            case .running, .failed, .aborted, .paused:
                break
            }
            try journalArgument.refuseIfRunning(snapshot)
            let registry = try Registry.make()
            try options.refuseOutsideWindows(snapshot.plan.schedule)
            let logger = Registry.logger(verbose: options.verbose)
            let backend = try await JournaledBackend.open(snapshot, timeScale: options.timeScale, logger: logger, command: "resume")
            let locks = try HeldLocks(for: record, journal: file.path)
            defer { locks.release() }
            let progress = snapshot.progress
            let done = progress.completed.values.reduce(0) { $0 + $1.count }
            Output.error("maintctl: resuming \(file.path): \(done) of \(snapshot.plan.actionCount) actions done")
            for attempt in snapshot.halfDone {
                Output.error("maintctl: half-done before the interruption: \(attempt.cache) \(attempt.summary) "
                             + "(attempt \(attempt.attempt)); it checks the live state and finishes")
            }
            // A rehearsal goes on with its faults; those due at actions already done are passed.
            let faults = try InjectedFaults.resolve(snapshot.plan, injecting: options.faults, backend: backend)
            let session = RolloutSession(plan: snapshot.plan, registry: registry, backend: backend,
                                         journal: file, locks: locks, progress: progress, faults: faults, options: options,
                                         seed: record.seed, logger: logger)
            try await session.execute("resume")
            if let undone = record.undoes { Rollback.markRolledBack(undone) }
        }
    }
}

import ArgumentParser
import RolloutJournal

/// The journal argument of `resume`, `status`, `abort` and `rollback`.
struct JournalArgument: ParsableArguments {
    @Argument(help: "The run's journal (printed when the run began; 'maintctl history' lists them).")
    var journal: String

    /// Opens the journal and reads it whole, or prints why it cannot be used.
    /// - Throws: `Exit.invalidInput` for a missing, corrupt, truncated or foreign file.
    func open() throws -> (file: JournalFile, snapshot: JournalSnapshot) {
        do {
            let file = try JournalFile.open(at: Maintctl.Run.absolute(journal))
            return (file, try file.snapshot())
        } catch {
            Output.error("maintctl: error: \(error)")
            throw Exit.invalidInput
        }
    }

    /// Refuses to act on a rollout a live process is running now.
    /// - Throws: `Exit.refused` after naming the process and how to stop it.
    func refuseIfRunning(_ snapshot: JournalSnapshot) throws {
        guard let live = snapshot.liveSession else { return }
        Output.error("maintctl: refused: pid \(live.pid) on \(live.host) is running this rollout now; "
                     + "stop it with 'maintctl abort \(snapshot.path)' first")
        throw Exit.refused
    }
}

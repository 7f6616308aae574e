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
}

import ArgumentParser
import RolloutJournal

extension Maintctl {
    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a running rollout at its next safe point (after the action in flight).",
            discussion: "The rollout can be continued later with 'maintctl resume', or undone with 'maintctl rollback'.")

        @OptionGroup var journalArgument: JournalArgument

        func run() async throws {
            let (file, snapshot) = try journalArgument.open()
            guard snapshot.status == .running else {
                Output.error("maintctl: \(file.path): the rollout is not running (\(snapshot.status.rawValue)); nothing to abort")
                return
            }
            do {
                try file.requestAbort()
            } catch {
                Output.error("maintctl: error: \(file.path): cannot write the journal: \(error)")
                throw Exit.invalidInput
            }
            if let live = snapshot.liveSession {
                Output.line("abort requested: pid \(live.pid) stops after the action in flight; 'maintctl status \(file.path)' shows where")
            } else {
                Output.line("abort recorded: no process runs this rollout now (it was interrupted); it stays where it stopped")
            }
        }
    }
}

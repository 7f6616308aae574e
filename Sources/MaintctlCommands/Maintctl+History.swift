import ArgumentParser
import Foundation
import RolloutJournal

extension Maintctl {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List past and running rollouts, newest first.")

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Option(help: "How many runs to list.")
        var limit = 50

        func run() async throws {
            let entries: [HistoryEntry]
            do {
                entries = try ControlDatabase(home: CommandEnvironment.current.maintctlHome).history(limit: max(1, limit))
            } catch {
                Output.error("maintctl: error: \(error)")
                throw Exit.invalidInput
            }
            switch format {
            case .json:
                try Output.json(entries)
            case .text:
                if entries.isEmpty { Output.line("no runs recorded in \(CommandEnvironment.current.maintctlHome.path)") }
                for entry in entries {
                    Output.line("\(entry.started.formatted(.iso8601))  \(entry.status.padded(12)) \(entry.backend.padded(10)) "
                                + "\((entry.playbook as NSString).lastPathComponent.padded(24)) \(entry.caches.joined(separator: ","))")
                    Output.line("    \(entry.journal)")
                }
            }
        }
    }
}

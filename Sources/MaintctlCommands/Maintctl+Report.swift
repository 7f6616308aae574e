import ArgumentParser
import Foundation
import MaintenanceKit
import RolloutJournal

extension Maintctl {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a journaled run's report: one self-contained HTML page with a timeline per cache, or its data as JSON.",
            discussion: """
                The page has the summary, a timeline per cache (a lane per node: actions as bars, full syncs, \
                planned failovers with their write gap, faults and node failures in red, waits for a maintenance \
                window shaded), planned against actual time per kind of step, what a client probe measured, the \
                invariants checked and where each step was written. It loads nothing from anywhere: open it, \
                print it or attach it to a ticket. It works for a run that failed, paused, was rolled back or died.
                """)

        @OptionGroup var journalArgument: JournalArgument

        @Option(help: "Output format: html (the page) or json (the same data).")
        var format: ReportFormat = .html

        @Option(name: .shortAndLong, help: "Write it to this file instead of standard output.")
        var output: String?

        enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
            case html, json
        }

        func run() async throws {
            let (_, snapshot) = try journalArgument.open()
            let report = snapshot.report
            let text: String
            switch format {
            case .html:
                text = ReportPage.html(report)
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                text = String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
            }
            guard let output else { return Output.line(text.trimmingCharacters(in: .newlines)) }
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                Output.error("maintctl: report: cannot write \(output)")
                throw Exit.invalidInput
            }
            Output.line("wrote \(output)")
        }
    }
}

import ArgumentParser
import Foundation
import MaintenanceKit

/// How `run` and `resume` execute and report.
struct ExecutionOptions: ParsableArguments {
    @Option(help: "Output format: text (a line per action, then a summary) or json (one summary object).")
    var format: OutputFormat = .text

    @Flag(help: "Write through the live cluster during the rollout and report what clients felt (process backend).")
    var probe = false

    @Option(help: "Probe writes per second per shard.")
    var probeRate = 200

    @Option(help: "Probe: a write counts as acknowledged only once this many replicas confirm it (WAIT); 0 for the primary's OK.")
    var probeWait = 0

    @Option(help: "Simulated backend: simulated seconds per real second, to watch (or interrupt) a simulated rollout as it goes.")
    var timeScale: Double?

    @Flag(help: "Start now and ignore the maintenance windows for this run (they otherwise refuse a start outside a window and hold back a node's drain the rest of the window cannot fit).")
    var now = false

    @Option(name: .customLong("inject"), help: ArgumentHelp(
        "Inject a fault during the rollout, e.g. 'kill node-2 after migrate_shards#3' or 'pause shard s1 primary 500ms at 12s' (repeatable).",
        valueName: "fault"))
    var faults: [String] = []

    @Option(help: ArgumentHelp("Write every event of the run as JSON Lines to this file, or to standard output with '-' (the text lines then go to standard error).",
                               valueName: "file"))
    var events: String?

    @Flag(help: "No live progress block on the terminal: only the per-action lines (as when the output is not a terminal, or NO_COLOR or TERM=dumb is set).")
    var noProgress = false

    @Flag(help: "Log details to standard error.")
    var verbose = false

    /// Whether the rollout's lines go to standard error: standard output carries JSON.
    var textToStandardError: Bool { format == .json || events == "-" }

    /// Refuses a start outside every maintenance window of `schedule`, unless `--now`.
    /// - Throws: `Exit.refused` after saying when the next window opens.
    func refuseOutsideWindows(_ schedule: MaintenanceSchedule, at date: Date = Date()) throws {
        guard !now, schedule.isRestricted, schedule.openUntil(at: date) == nil else { return }
        let next = schedule.nextOpening(after: date).map { "the next opens at \($0.formatted(.iso8601)) (UTC)" } ?? "none opens"
        Output.error("maintctl: refused: outside the maintenance windows; \(next). Pass --now to start anyway.")
        throw Exit.refused
    }

    func validate() throws {
        if let timeScale, !(0.001...1_000_000).contains(timeScale) {
            throw ValidationError("--time-scale must be between 0.001 and 1000000 simulated seconds per real second")
        }
        guard (1...100_000).contains(probeRate) else { throw ValidationError("--probe-rate must be between 1 and 100000") }
        guard (0...5).contains(probeWait) else { throw ValidationError("--probe-wait must be between 0 and 5 replicas") }
        if let events, events != "-" {
            let directory = (events as NSString).deletingLastPathComponent
            let parent = directory.isEmpty ? "." : directory
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: parent) else {
                throw ValidationError("--events \(events): there is no writable directory '\(parent)' to write it in")
            }
            // Never written over: `--events playbook.yaml` must not empty the playbook.
            guard !FileManager.default.fileExists(atPath: events) else {
                throw ValidationError("--events \(events): it exists; name a new file (the events of a run are never written over another file)")
            }
        }
        if events == "-", format == .json {
            throw ValidationError("--events - and --format json both write to standard output; give --events a file")
        }
    }
}

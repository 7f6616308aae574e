import Foundation
import MaintenanceKit

/// Where `--events` writes: a file (created, or emptied) or standard output, one line per write.
struct EventFile: Sendable {
    /// The reporter writing the run's events here.
    let reporter: EventStreamReporter

    /// Opens `path`, or standard output for `-`.
    /// - Throws: `Exit.invalidInput` after saying why the file cannot be written.
    init(_ path: String) throws {
        let opened: FileHandle
        if path == "-" {
            opened = .standardOutput
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
                Output.error("maintctl: --events \(path): cannot create the file")
                throw Exit.invalidInput
            }
            opened = file
        }
        // A reader that went away (`| head`) must not end a rollout: the write fails, the run goes on.
        reporter = EventStreamReporter { line in opened.writeSafely(line + "\n") }
    }

    /// Writes a `sync_progress` line every second for each cache whose full sync has moved
    /// since the last one, until the task is cancelled.
    static func followSyncs(of backend: any SyncProgressReporting, caches: [String], into events: EventStreamReporter) async {
        let started = ContinuousClock.now
        var last: [String: SyncProgress] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            for cache in caches {
                guard let progress = await backend.syncProgress(in: cache), progress != last[cache] else { continue }
                last[cache] = progress
                events.reportSyncProgress(progress, in: cache, elapsed: ContinuousClock.now - started)
            }
        }
    }
}

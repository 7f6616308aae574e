import Foundation
import MaintenanceKit

/// Where `--events` writes: a file (created, or emptied) or standard output, one line per write.
struct EventFile: Sendable {
    private let handle: FileHandle

    /// Opens `path`, or standard output for `-`.
    /// - Throws: `Exit.invalidInput` after saying why the file cannot be written.
    init(_ path: String) throws {
        if path == "-" {
            handle = .standardOutput
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            Output.error("maintctl: --events \(path): cannot create the file")
            throw Exit.invalidInput
        }
        self.handle = handle
    }

    /// A reporter writing the run's events here.
    var reporter: EventStreamReporter {
        let handle = handle
        // A reader that went away (`| head`) must not end a rollout: the write fails, the run goes on.
        return EventStreamReporter { line in try? handle.write(contentsOf: Data((line + "\n").utf8)) }
    }
}

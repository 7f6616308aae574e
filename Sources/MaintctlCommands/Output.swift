import Foundation
import MaintenanceKit
import Synchronization

/// Writing to standard output and error, line by line, flushed so progress shows as it happens.
enum Output {
    private static let lock = NSLock()

    static func line(_ text: String) {
        write(text + "\n", to: .standardOutput)
    }

    static func error(_ text: String) {
        write(text + "\n", to: .standardError)
    }

    private static func write(_ text: String, to handle: FileHandle) {
        lock.lock()
        defer { lock.unlock() }
        // While a live block is on the terminal, lines go above it.
        if let live = live.withLock({ $0 }) {
            return live.print(String(text.dropLast()), toError: handle === FileHandle.standardError)
        }
        // A reader that went away (`| head`) must not end a rollout: the write fails, the run goes on.
        handle.writeSafely(text)
    }

    /// The live progress block on the terminal, while a rollout draws one.
    static let live = Mutex<LiveProgress?>(nil)

    /// Prints the first ``shownDiagnostics`` problems, then how many more there are and the total.
    static func printDiagnostics(_ error: DiagnosticsError) {
        let count = error.diagnostics.count
        var text = ""
        for diagnostic in error.diagnostics.prefix(shownDiagnostics) { text += diagnostic.description + "\n" }
        if count > shownDiagnostics { text += "… and \(count - shownDiagnostics) more\n" }
        Output.error(text + "\(count) error\(count == 1 ? "" : "s")")
    }

    /// How many problems are printed: enough to fix a file by, few enough to read.
    static let shownDiagnostics = 100

    /// Pretty JSON with sorted keys, as one object.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

import Foundation
import MaintenanceKit

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
        // A reader that went away (`| head`) must not end a rollout: the write fails, the run goes on.
        try? handle.write(contentsOf: Data(text.utf8))
    }

    static func printDiagnostics(_ error: DiagnosticsError) {
        for diagnostic in error.diagnostics { Output.error(diagnostic.description) }
        let count = error.diagnostics.count
        Output.error("\(count) error\(count == 1 ? "" : "s")")
    }

    /// Pretty JSON with sorted keys, as one object.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

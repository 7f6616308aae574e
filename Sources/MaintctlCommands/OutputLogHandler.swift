import Foundation
import Logging

/// Writes log records to standard error through ``Output``, as swift-log's stream handler
/// formats them, so that a live progress block on the terminal stays below them instead of
/// erasing them.
struct OutputLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = Date().formatted(Date.ISO8601FormatStyle(timeZone: .current))
        Output.error("\(time) \(event.level) \(label):\(fields) [\(event.source)] \(event.message)")
    }
}

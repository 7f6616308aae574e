import Foundation
import MaintenanceKit
import Synchronization
import Testing

/// The `--events` lines as a script reads them.
@Suite struct EventStreamReporterTests {
    @Test func syncProgressLinesTakeTheirPlaceInTheSequence() throws {
        let lines = Mutex([String]())
        let reporter = EventStreamReporter(write: { line in lines.withLock { $0.append(line) } },
                                           now: { Date(timeIntervalSince1970: 1_796_000_000.25) })
        reporter.report(.resumed(cache: "c1", at: .seconds(3)))
        reporter.reportSyncProgress(SyncProgress(shard: "s1", node: "n2", receivedBytes: 1024, totalBytes: -1), in: "c1", elapsed: .seconds(4))
        reporter.reportSyncProgress(SyncProgress(shard: "s1", node: "n2", bytesBehind: 0), in: "c1", elapsed: .seconds(5))
        let events = try lines.withLock { $0 }.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(events.map { $0["seq"] as? Int } == [1, 2, 3])
        #expect(events.map { $0["type"] as? String } == ["resumed", "sync_progress", "sync_progress"])
        #expect(events[0]["time"] as? String == "2026-11-30T00:53:20.250Z")
        #expect(events[1]["received_bytes"] as? Int == 1024 && events[1]["total_bytes"] is NSNull && events[1]["elapsed_ms"] as? Int == 4000)
        #expect(events[2]["bytes_behind"] as? Int == 0 && events[2]["shard"] as? String == "s1")
    }

    /// Text with quotes, newlines and control characters stays one valid line.
    @Test func awkwardTextStaysOneLineOfJSON() throws {
        let lines = Mutex([String]())
        let reporter = EventStreamReporter { line in lines.withLock { $0.append(line) } }
        reporter.report(.paused(cache: "c\"1\n", at: .zero, until: Date(timeIntervalSince1970: 0), reason: "tab\there \u{1} é"))
        let line = try #require(lines.withLock { $0 }.first)
        #expect(!line.contains("\n"))
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(event["cache"] as? String == "c\"1\n" && event["reason"] as? String == "tab\there \u{1} é")
    }
}

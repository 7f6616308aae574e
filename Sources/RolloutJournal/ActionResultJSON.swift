import MaintenanceKit

/// An action's result as the JSON `JSONEncoder` makes of it (same keys, same shapes, keys absent
/// for nil), written directly: the journal writes one per action, and Foundation's encoder
/// took most of a journaled simulated rollout's commit time. `JSONDecoder` reads it back.
enum ActionResultJSON {
    static func text(_ result: ActionResult) -> String {
        var json = "{\"succeeded\":\(result.succeeded)"
        if let error = result.error { json += ",\"error\":" + string(error) }
        json += ",\"notes\":[" + result.notes.map(string).joined(separator: ",") + "]"
        json += ",\"failovers\":[" + result.failovers.map(failover).joined(separator: ",") + "]"
        json += ",\"syncs\":[" + result.syncs.map(sync).joined(separator: ",") + "]"
        if let timing = result.timing {
            json += ",\"timing\":{\"startedMS\":\(timing.startedMS),\"durationMS\":\(timing.durationMS)}"
        }
        return json + "}"
    }

    private static func failover(_ report: FailoverReport) -> String {
        var json = "{\"cache\":" + string(report.cache) + ",\"shard\":" + string(report.shard)
            + ",\"kind\":" + string(report.kind.rawValue) + ",\"from\":" + string(report.from) + ",\"to\":" + string(report.to)
            + ",\"unavailable\":" + duration(report.unavailable)
        if let detection = report.detection { json += ",\"detection\":" + duration(detection) }
        if let promotion = report.promotion { json += ",\"promotion\":" + duration(promotion) }
        return json + "}"
    }

    private static func sync(_ report: SyncReport) -> String {
        "{\"shard\":" + string(report.shard) + ",\"node\":" + string(report.node)
            + ",\"megabytes\":" + number(report.megabytes) + ",\"duration\":" + duration(report.duration) + "}"
    }

    /// `Duration`'s own coding: its attoseconds as a 128-bit number, high 64 bits then low.
    private static func duration(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let total = Int128(seconds) * 1_000_000_000_000_000_000 + Int128(attoseconds)
        return "[\(Int64(truncatingIfNeeded: total >> 64)),\(UInt64(truncatingIfNeeded: total))]"
    }

    /// A finite number as JSON; what JSON cannot hold (not a number, infinite) as 0.
    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    private static func string(_ text: String) -> String {
        var json = "\""
        json.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: json.unicodeScalars.append(scalar)
            }
        }
        return json + "\""
    }
}

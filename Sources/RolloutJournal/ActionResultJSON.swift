import MaintenanceKit

/// An action's result as the JSON `JSONEncoder` makes of it (same keys, same shapes, keys absent
/// for nil), built directly: the journal writes one per action, and Foundation's encoder took
/// most of a journaled simulated rollout's commit time. `JSONDecoder` reads it back.
enum ActionResultJSON {
    static func text(_ result: ActionResult) -> String {
        var members = [member("succeeded", .bool(result.succeeded))]
        if let error = result.error { members.append(member("error", .string(error))) }
        members += [
            member("notes", .array(result.notes.map(JSONValue.string))),
            member("failovers", .array(result.failovers.map(failover))),
            member("syncs", .array(result.syncs.map(sync))),
        ]
        if let timing = result.timing {
            members.append(member("timing", .object([member("startedMS", .integer(timing.startedMS)),
                                                      member("durationMS", .integer(timing.durationMS))])))
        }
        return JSONValue.object(members).compactText
    }

    private static func failover(_ report: FailoverReport) -> JSONValue {
        var members = [
            member("cache", .string(report.cache)), member("shard", .string(report.shard)), member("kind", .string(report.kind.rawValue)),
            member("from", .string(report.from)), member("to", .string(report.to)), member("unavailable", duration(report.unavailable)),
        ]
        if let detection = report.detection { members.append(member("detection", duration(detection))) }
        if let promotion = report.promotion { members.append(member("promotion", duration(promotion))) }
        return .object(members)
    }

    private static func sync(_ report: SyncReport) -> JSONValue {
        .object([member("shard", .string(report.shard)), member("node", .string(report.node)),
                 member("megabytes", number(report.megabytes)), member("duration", duration(report.duration))])
    }

    private static func member(_ key: String, _ value: JSONValue) -> JSONValue.Member { JSONValue.Member(key: key, value: value) }

    /// `Duration`'s own coding: its attoseconds as a 128-bit number, high 64 bits then low.
    private static func duration(_ duration: Duration) -> JSONValue {
        let (seconds, attoseconds) = duration.components
        let total = Int128(seconds) * 1_000_000_000_000_000_000 + Int128(attoseconds)
        return .array([.integer(Int64(truncatingIfNeeded: total >> 64)), .integer(UInt64(truncatingIfNeeded: total))])
    }

    /// A finite number as JSON; what JSON cannot hold (not a number, infinite) as 0.
    private static func number(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .number("0") }
        if value == value.rounded(), abs(value) < 1e15 { return .integer(Int64(value)) }
        return .number("\(value)")
    }
}

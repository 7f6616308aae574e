import Foundation

/// A process told apart from a later one that reuses its pid: the pid with its start time
/// since boot, and the boot's id.
public struct ProcessIdentity: Sendable, Codable, Hashable {
    public var pid: Int32
    public var host: String
    /// The kernel's id of the boot the process lives in (`/proc/sys/kernel/random/boot_id`).
    public var bootID: String
    /// When the process started, in clock ticks since boot (`/proc/PID/stat`, field 22).
    public var startTicks: UInt64

    /// This process.
    public static let current = ProcessIdentity(
        pid: getpid(), host: ProcessInfo.processInfo.hostName, bootID: bootIdentifier(), startTicks: startTicks(of: getpid()) ?? 0)

    /// Whether the process is still alive, as far as this machine can tell: on this host and
    /// boot, by its pid and start time; elsewhere, not knowable (`nil`).
    public var isAlive: Bool? {
        guard host == Self.current.host else { return nil }
        guard bootID == Self.current.bootID else { return false }
        guard let ticks = Self.startTicks(of: pid) else { return false }
        return ticks == startTicks
    }

    static func bootIdentifier() -> String {
        ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The start time of `pid`, or nil when no such process runs (zombies count as gone).
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name: state is field 3, start time field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return UInt64(fields[19])
    }
}

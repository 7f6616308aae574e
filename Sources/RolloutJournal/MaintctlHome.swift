import Foundation

/// Where maintctl keeps what outlives one process: journals, the lock table and the run
/// history. `$MAINTCTL_HOME`, else `~/.maintctl`.
public struct MaintctlHome: Sendable {
    public var path: String

    public init(path: String) { self.path = path }

    /// The home this process uses.
    public static var current: MaintctlHome {
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["MAINTCTL_HOME"], !home.isEmpty { return MaintctlHome(path: home) }
        return MaintctlHome(path: (environment["HOME"] ?? NSTemporaryDirectory()) + "/.maintctl")
    }

    /// The database of locks and past runs.
    public var controlDatabase: String { path + "/maintctl.sqlite" }

    /// A new journal's default path: `journals/20261125-120102-rolling-patch-1a2b3c4d.sqlite`.
    public func newJournalPath(playbook: String, runID: String, at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let name = playbook.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(40)
        return "\(path)/journals/\(formatter.string(from: date))-\(name)-\(runID.prefix(8)).sqlite"
    }

    /// Makes the home directory (mode 0700) if it is missing.
    func prepare() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}

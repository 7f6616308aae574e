import Foundation
import Testing

/// A cgroup (v2) a test makes for one process it started, so that an iptables rule can match
/// that process's new connections alone (`-m cgroup --path`): a socket belongs to the cgroup
/// its process was in when it made the socket.
struct ProcessCgroup {
    /// The cgroup's path relative to the cgroup2 root, as `iptables -m cgroup --path` takes it.
    let path: String
    private let root: String

    /// Where cgroup2 is mounted writable here (`/sys/fs/cgroup` on a pure v2 machine,
    /// `/sys/fs/cgroup/unified` on a hybrid one); nil when it is not.
    static var root: String? {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 3, fields[2] == "cgroup2", fields[3].split(separator: ",").contains("rw") else { continue }
            return access(fields[1], W_OK) == 0 ? fields[1] : nil
        }
        return nil
    }

    /// Makes a new cgroup and moves `pid` into it; nil when cgroup2 is not available here.
    static func isolating(_ pid: pid_t) throws -> ProcessCgroup? {
        guard let root = root else { return nil }
        let group = ProcessCgroup(path: "maintctl-test-\(UUID().uuidString.prefix(8).lowercased())", root: root)
        try FileManager.default.createDirectory(atPath: group.directory, withIntermediateDirectories: false)
        do {
            try "\(pid)\n".write(toFile: group.directory + "/cgroup.procs", atomically: false, encoding: .utf8)
        } catch {
            group.remove()
            throw error
        }
        return group
    }

    private var directory: String { root + "/" + path }

    /// Moves any process left in it back to the root cgroup and removes it.
    func remove() {
        let left = (try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? ""
        for pid in left.split(separator: "\n") {
            try? "\(pid)\n".write(toFile: root + "/cgroup.procs", atomically: false, encoding: .utf8)
        }
        rmdir(directory)
    }
}

import Foundation

/// Finds `redis-server` processes on this machine from `/proc`, to prove that a benchmark
/// cluster left none behind.
enum RedisProcessScan {
    /// Live (not zombie) `redis-server` processes whose working directory lies under
    /// `directory` (the process backend starts every server in its copy's directory there).
    static func pids(under directory: String) -> [pid_t] {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard isRedisServer(pid), isAlive(pid),
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            // A directory removed while the process runs reads "<path> (deleted)".
            return cwd == root || cwd.hasPrefix(root + "/") || cwd.hasPrefix(root + " ")
        }.sorted()
    }

    /// Whether `pid`'s command line names `redis-server`.
    static func isRedisServer(_ pid: pid_t) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains("redis-server")
    }

    /// Whether `pid` runs and is not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let state = stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces) ?? ""
        return !state.hasPrefix("Z") && !state.hasPrefix("X")
    }
}

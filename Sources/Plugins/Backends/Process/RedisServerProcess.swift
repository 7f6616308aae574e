import Foundation
import MaintenanceKit

#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops daemonized `redis-server` processes, with argv arrays only (never a
/// shell): a started server's pid is read from the pid file it writes; servers nobody
/// recorded are found again by their working directory.
enum RedisServerProcess {
    /// Starts a daemonized `redis-server` and returns its pid, read from its pid file.
    /// - Parameters:
    ///   - binary: The `redis-server` executable (a path, or a name looked up on PATH).
    ///   - arguments: Its arguments; `--daemonize yes` and `--pidfile` are among them.
    ///   - pidFile: Where the server writes its pid.
    /// - Throws: `BackendError` when the binary cannot be started or writes no pid file.
    static func start(binary: String, arguments: [String], pidFile: String) async throws -> pid_t {
        try? FileManager.default.removeItem(atPath: pidFile)
        let status = try await launch(resolve(binary), arguments: arguments)
        guard status == 0 else {
            throw BackendError(.redisStartFailed, "\(binary) exited with status \(status) at start; see the log next to \(pidFile)")
        }
        // The daemon writes its pid file once it listens: within milliseconds on an idle
        // machine, seconds on a loaded one. One that died (its port was taken) is given up on
        // as soon as no server works in its directory (looked at after 100 ms: a look reads
        // every process's directory). Looked for every 2 ms in the first 100 ms, in which a
        // server starts, then every 10 ms.
        let directory = URL(fileURLWithPath: pidFile).deletingLastPathComponent().standardizedFileURL.path
        for round in 0..<1050 {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 {
                return pid
            }
            if round >= 50, round % 10 == 9, servers(under: directory).isEmpty, !FileManager.default.fileExists(atPath: pidFile) {
                throw BackendError(.redisStartFailed, "\(binary) exited before it wrote its pid file \(pidFile); see the log next to it")
            }
            try await Task.sleep(for: .milliseconds(round < 50 ? 2 : 10))
        }
        throw BackendError(.redisStartFailed, "\(binary) wrote no pid file at \(pidFile) within 10 seconds")
    }

    /// Runs a program that daemonizes (it starts the daemon and exits at once) and returns its
    /// exit status. It is reaped so it leaves no zombie; the wait blocks its thread, so it runs
    /// off the cooperative pool (heartbeats run there).
    static func launch(_ path: String, arguments: [String]) async throws -> Int32 {
        let launcher = try spawn(path, arguments: arguments)
        return try await Blocking.run { () -> Int32 in
            var status: Int32 = 0
            while waitpid(launcher, &status, 0) == -1, errno == EINTR {}
            return status
        }
    }

    /// Stops the server with `pid` if it is still the process we started (its command line
    /// names `port`): SIGCONT (a paused server handles no SIGTERM), SIGTERM, then SIGKILL
    /// after `grace`. Returns when it is gone.
    static func stop(pid: pid_t, port: Int, grace: Duration = .seconds(5)) async {
        guard isOurs(pid: pid, port: port) else { return }
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if !isAlive(pid) { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
        kill(pid, SIGKILL)
        for _ in 0..<250 where isAlive(pid) { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Stops every `redis-server` of this machine whose working directory (its `--dir`) is
    /// `root` or lies under it, whether or not the state knows it (a start cut short by a
    /// crash of maintctl), wherever it was started from (a container's servers are this
    /// machine's processes too).
    static func stopAll(under root: String) async {
        let root = URL(fileURLWithPath: root).standardizedFileURL.path
        for pid in servers(under: root) {
            kill(pid, SIGCONT)
            kill(pid, SIGTERM)
            for _ in 0..<250 where isAlive(pid) { try? await Task.sleep(for: .milliseconds(20)) }
            if isAlive(pid) { kill(pid, SIGKILL) }
        }
    }

    /// The live `redis-server`s working in `root` or under it.
    private static func servers(under root: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                  cwd == root || cwd.hasPrefix(root + "/"),
                  let title = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  String(decoding: title, as: UTF8.self).contains("redis-server") else { return false }
            return isAlive(pid)
        }
    }

    /// Whether `pid` is a live redis-server serving `port` (guards against a reused pid).
    static func isOurs(pid: pid_t, port: Int) -> Bool {
        guard pid > 0, isAlive(pid), let title = title(of: pid) else { return false }
        // Redis rewrites its title to "redis-server 127.0.0.1:PORT [cluster]" once it serves;
        // until then its command line names the port.
        let words = title + " "
        return title.contains("redis-server") && (words.contains(":\(port) ") || words.contains("--port \(port) ") || words.contains("--tls-port \(port) "))
    }

    /// The process's command line (its title), its arguments joined by spaces.
    static func title(of pid: pid_t) -> String? {
        FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map {
            $0.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
    }

    /// Whether `pid` is stopped by a signal (SIGSTOP): it holds its sockets but answers nothing.
    static func isStopped(_ pid: pid_t) -> Bool {
        processState(pid) == "T"
    }

    /// The one-letter state of `pid` in /proc (`R`, `S`, `T`, `Z`, …), nil when there is none.
    private static func processState(_ pid: pid_t) -> Character? {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).first
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        // A zombie is not alive for our purposes.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
    }

    /// The absolute path of `binary`, searching PATH for a bare name.
    static func resolve(_ binary: String) throws -> String {
        do {
            return try ChildProcess.resolve(binary)
        } catch {
            if binary.contains("/") {
                throw BackendError(.redisMissing, "redis-server binary '\(binary)' is not an executable file")
            }
            guard binary.contains("redis") else { throw error }
            throw BackendError(.redisMissing,
                               "'\(binary)' was not found on PATH; install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or pass --redis-server PATH")
        }
    }

    /// Starts `path` with its standard streams on /dev/null (see ``Spawn``).
    private static func spawn(_ path: String, arguments: [String]) throws -> pid_t {
        do {
            return try Spawn.start(path, arguments: arguments)
        } catch {
            throw BackendError(.redisStartFailed, "cannot start \(path): \(error.reason)")
        }
    }
}

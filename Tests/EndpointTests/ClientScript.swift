import Foundation
import LiveClusterSupport

/// Runs one of the Python client scripts under `Clients/` with the test environment's Python
/// (scripts/test makes a virtual environment with redis-py 8) and reads its JSON lines.
enum ClientScript {
    /// One check's outcome, as the script prints it.
    struct Check: Decodable, CustomStringConvertible {
        var check: String
        var ok: Bool
        var detail: String
        var skipped: Bool?
        /// A figure the check measured, when it has one.
        var value: Double?
        var description: String { "\(check): \(ok ? "ok" : "FAILED") — \(detail)" }
    }

    struct Outcome {
        var status: Int32
        var checks: [Check]
        var stderr: String
    }

    static let python: String = {
        if let given = ProcessInfo.processInfo.environment["MAINTCTL_TEST_PYTHON"], !given.isEmpty { return given }
        return LiveCluster.packageRoot + "/.build/test-python/bin/python"
    }()

    static func path(_ script: String) -> String {
        LiveCluster.packageRoot + "/Tests/EndpointTests/Clients/" + script
    }

    /// Runs `script` with `arguments`; gives up (and kills it by its pid) after `limit`.
    static func run(_ script: String, _ arguments: [String], limit: Duration = .seconds(300)) async throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ScriptError(message: "no Python with redis-py at \(python): run scripts/test, which makes it (or set MAINTCTL_TEST_PYTHON)")
        }
        let ran = try await Program.run(python, [path(script)] + arguments, limit: limit)
        let checks = ran.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(Check.self, from: Data($0.utf8)) }
        return Outcome(status: ran.status, checks: checks, stderr: ran.stderr)
    }
}

/// Runs a program to its end and collects its output.
enum Program {
    struct Ran {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments`; gives up (and kills it by its pid) after `limit`,
    /// or when the task is cancelled.
    static func run(_ executable: String, _ arguments: [String], limit: Duration = .seconds(300)) async throws -> Ran {
        try await start(executable, arguments).wait(limit: limit)
    }

    /// A program started and not yet waited for.
    struct Running {
        let executable: String
        let pid: pid_t
        let out: String
        let err: String

        /// Waits for its end; kills it by its pid after `limit` or when the task is cancelled.
        func wait(limit: Duration) async throws -> Ran {
            defer {
                try? FileManager.default.removeItem(atPath: out)
                try? FileManager.default.removeItem(atPath: err)
            }
            let deadline = ContinuousClock.now + limit
            var status: Int32 = 0
            while waitpid(pid, &status, WNOHANG) == 0 {
                guard ContinuousClock.now < deadline, !Task.isCancelled else {
                    kill(pid, SIGKILL)
                    waitpid(pid, &status, 0)
                    throw ScriptError(message: "\(executable) did not finish within \(limit); its output: \(read(out)) \(read(err))")
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return Ran(status: (status >> 8) & 0xff, stdout: read(out), stderr: read(err))
        }

        /// Kills it by its pid and removes its output: for a program never waited for (once
        /// waited for, its pid may be another process's).
        func stop() {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
    }

    /// Starts `executable` (looked up on PATH) with `arguments`, its output to scratch files.
    static func start(_ executable: String, _ arguments: [String]) throws -> Running {
        let scratch = LiveCluster.scratch + "maintctl-program-\(UUID().uuidString)"
        let (out, err) = (scratch + ".out", scratch + ".err")
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&files, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, executable, &files, nil, argv, environ)
        guard result == 0 else { throw ScriptError(message: "cannot start \(executable): errno \(result)") }
        return Running(executable: executable, pid: pid, out: out, err: err)
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}

struct ScriptError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

import Foundation

/// Runs the built `maintctl` binary and captures what it printed.
///
/// It spawns with posix_spawn and waits with waitpid, so it works the same from async tests
/// (Foundation's Process waits on a run loop and starts children with signals blocked).
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The `maintctl` built next to this test bundle.
    static let binary: String = {
        let selfExecutable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let candidates = [URL(fileURLWithPath: selfExecutable).deletingLastPathComponent().path, packageRoot + "/.build/debug"]
        return candidates.map { $0 + "/maintctl" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "maintctl"
    }()

    /// Runs `maintctl arguments…` in the package root and waits for it.
    /// - Parameter home: `MAINTCTL_HOME` (locks, history, journals); a new empty one by default.
    /// - Parameter background: Run at a low CPU priority (nice 10): for the many short
    ///   simulated runs some tests make, so that they do not starve the redis-servers other
    ///   tests run at the same time on a small machine.
    static func run(_ arguments: [String], home: String? = nil, background: Bool = false) async throws -> Result {
        try await run(program: binary, arguments, home: home, background: background)
    }

    /// Runs another program (a shell, a validator) the same way, in the package root.
    static func run(program: String, _ arguments: [String], home: String? = nil, background: Bool = false) async throws -> Result {
        let running = try start(program: program, arguments, home: home, background: background)
        let status = await running.finish()
        return Result(status: status, stdout: running.stdout, stderr: running.stderr)
    }

    /// A `maintctl` running in the background; output goes to files so it can never block.
    final class Running: @unchecked Sendable {
        let pid: pid_t
        let outPath: String
        let errPath: String
        private var exitStatus: Int32?

        init(pid: pid_t, outPath: String, errPath: String) {
            self.pid = pid
            self.outPath = outPath
            self.errPath = errPath
        }

        var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

        var isRunning: Bool {
            guard exitStatus == nil else { return false }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return true }
            exitStatus = Self.decode(status)
            return false
        }

        /// Waits until standard output contains `text` (at most `limit`).
        func waitForOutput(containing text: String, limit: Duration = .seconds(60)) async throws -> Bool {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline, isRunning {
                if stdout.contains(text) { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return stdout.contains(text)
        }

        /// Waits for the process to end and returns its exit status (128 + signal when killed).
        /// It polls, so that waiting never blocks one of the few threads async tests share.
        func finish() async -> Int32 {
            while isRunning { try? await Task.sleep(for: .milliseconds(5)) }
            return exitStatus ?? -1
        }

        /// Kills the process if it still runs and reaps it (for clean-up paths that cannot wait).
        func killAndReap() {
            guard isRunning else { return }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            exitStatus = Self.decode(status)
        }

        private static func decode(_ status: Int32) -> Int32 {
            let signal = status & 0x7f
            return signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }
    }

    /// `maintctl-crash-harness`, built next to `maintctl`: maintctl's commands with a journal
    /// that ends the process right after its Nth write (`--crash-after-journal-writes N`).
    static let crashHarness = URL(fileURLWithPath: binary).deletingLastPathComponent().path + "/maintctl-crash-harness"

    /// Starts `maintctl arguments…` in the package root without waiting for it; with
    /// `--crash-after-journal-writes N` among them, the crash harness runs them instead.
    static func start(program: String = binary, _ arguments: [String], home: String? = nil, background: Bool = false) throws -> Running {
        var arguments = arguments, binary = program
        if program == Self.binary, let flag = arguments.firstIndex(of: "--crash-after-journal-writes"), flag + 1 < arguments.count {
            let writes = arguments[flag + 1]
            arguments.removeSubrange(flag...(flag + 1))
            arguments = ["--crash-after-journal-writes", writes] + arguments
            binary = crashHarness
        }
        // Arguments name files relative to the package root, where `swift test` runs.
        if FileManager.default.currentDirectoryPath != packageRoot {
            _ = FileManager.default.changeCurrentDirectoryPath(packageRoot)
        }
        let directory = runs + "cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outPath = directory + "/out", errPath = directory + "/err"
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&files, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment = ProcessInfo.processInfo.environment
        environment["MAINTCTL_HOME"] = home ?? directory + "/home"
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        // A bare name (redis-cli) is looked up on PATH.
        let result = binary.contains("/") ? posix_spawn(&pid, binary, &files, &attributes, argv, envp)
            : posix_spawnp(&pid, binary, &files, &attributes, argv, envp)
        guard result == 0 else { throw CocoaError(.executableLoad, userInfo: ["errno": result]) }
        if background { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(pid), 10) }
        return Running(pid: pid, outPath: outPath, errPath: errPath)
    }

    /// The tests' Python, with redis-py and check-jsonschema from PyPI (scripts/test makes it).
    static let python: String = ProcessInfo.processInfo.environment["MAINTCTL_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
        ?? packageRoot + "/.build/test-python/bin/python"

    /// Where tests keep journals, homes and captured output: memory-backed when the machine
    /// has it, so hundreds of journal files do not fill the disk's write-back queue, on which
    /// every fsync of the tests' redis-servers (Redis Cluster saves its nodes.conf) then waits.
    static let scratch: String = {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue,
           access("/dev/shm", W_OK) == 0 {
            return "/dev/shm/"
        }
        return NSTemporaryDirectory()
    }()

    /// This test process's own directory in ``scratch``, for what each run of a program leaves
    /// (its output, its home) and for input files: removed when the process exits, and one
    /// left by a process that ended without exiting (killed) is removed by the next. Short,
    /// so that the unix sockets a run makes in it stay within their path limit.
    static let runs: String = {
        let prefix = "mctl-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = pid_t(entry.dropFirst(prefix.count)), kill(pid, 0) == -1, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: scratch + entry)
        }
        let root = scratch + prefix + "\(getpid())/"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: CLI.runs) }
        return root
    }()

    /// A new empty directory for one test, in ``runs`` (so removed with it), its name short
    /// for the unix sockets a cluster's state directory holds.
    static func temporaryDirectory(_ label: String = "dir") throws -> String {
        let directory = runs + "\(label)-\(UUID().uuidString.prefix(13))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        return directory
    }

    /// Writes `text` to a new temporary file and returns its path.
    static func temporaryFile(_ text: String, name: String = "playbook.yaml") throws -> String {
        let directory = runs + "in-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

import Foundation

/// Runs the endpoint in the background, as `redis-server --daemonize yes` does: this process
/// starts the endpoint again as a new session leader (so it outlives whoever started it and
/// no terminal's signals reach it), writes its pid, and exits. posix_spawn, not fork: this
/// process already runs threads.
enum Detach {
    /// glibc's `POSIX_SPAWN_SETSID`, which Swift does not import (it is a GNU extension).
    private static let setsid: Int16 = 0x80

    /// Starts `arguments` (without `--daemonize`) as a detached copy of this executable.
    /// - Parameters:
    ///   - pidFile: Where the copy's pid is written.
    ///   - logFile: Where its standard output and error go.
    /// - Throws: When it cannot be started or the pid cannot be written.
    static func run(arguments: [String], pidFile: String, logFile: String) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK) | setsid)
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&files, 1, 2)
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let argv = (command(of: executable) + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &files, &attributes, argv, environ)
        guard result == 0 else { throw DetachError(message: "cannot start \(executable): \(String(cString: strerror(result)))") }
        let temporary = pidFile + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data("\(pid)\n".utf8), attributes: [.posixPermissions: 0o600]),
              rename(temporary, pidFile) == 0 else {
            kill(pid, SIGTERM)
            throw DetachError(message: "cannot write the pid file \(pidFile)")
        }
    }
}

extension Detach {
    /// How to start this executable again. Started through a dynamic loader (the bundle a
    /// machine without a Swift runtime runs: `lib/ld-linux… --library-path lib maintctl-proxy`),
    /// `/proc/self/exe` is the loader: the copy goes through it too, with the libraries beside it.
    static func command(of executable: String) -> [String] {
        let name = URL(fileURLWithPath: executable).lastPathComponent
        guard name.hasPrefix("ld-linux") || name.hasPrefix("ld-musl") else { return [executable] }
        return [executable, "--library-path", URL(fileURLWithPath: executable).deletingLastPathComponent().path, CommandLine.arguments[0]]
    }
}

struct DetachError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

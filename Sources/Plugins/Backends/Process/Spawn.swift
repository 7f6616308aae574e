#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// posix_spawn as maintctl starts every program: a clean signal mask and default signal
/// handlers (so it reacts to SIGTERM whatever maintctl blocked), a process group of its own
/// (so Ctrl-C aimed at maintctl does not reach it), and none of maintctl's descriptors but
/// the three standard streams it is given (an inherited client socket would stay open for as
/// long as it lives).
enum Spawn {
    /// Why a program could not be started: posix_spawn's error number.
    struct Failure: Error {
        let number: Int32
        var reason: String { "\(String(cString: strerror(number))) (errno \(number))" }
    }

    /// Starts `path` with `arguments` and returns its pid.
    /// - Parameter streams: The descriptors that become its standard input, output and error;
    ///   nil: all three on /dev/null.
    static func start(_ path: String, arguments: [String], streams: (input: Int32, output: Int32, error: Int32)? = nil) throws(Failure) -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        if let streams {
            posix_spawn_file_actions_adddup2(&files, streams.input, 0)
            posix_spawn_file_actions_adddup2(&files, streams.output, 1)
            posix_spawn_file_actions_adddup2(&files, streams.error, 2)
        } else {
            for descriptor: Int32 in [0, 1, 2] {
                posix_spawn_file_actions_addopen(&files, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&files, descriptor)
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &files, &attributes, argv, environ)
        guard result == 0 else { throw Failure(number: result) }
        return pid
    }

    /// The file descriptors open in this process now.
    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }
}

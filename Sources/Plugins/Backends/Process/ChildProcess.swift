import Foundation
import MaintenanceKit

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end, with an argv array (never a local shell), what it reads given
/// on its standard input and what it writes captured. It starts as ``Spawn`` starts every
/// program (own process group, default signal handling, no inherited descriptors).
public enum ChildProcess {
    /// How a program ended and what it wrote.
    public struct Outcome: Sendable {
        /// Its exit status; 128 + the signal's number when a signal ended it.
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        /// It did not end within its time and was killed.
        public var timedOut: Bool

        /// Its standard error as text, trimmed.
        public var errorText: String {
            String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The most bytes of each output stream kept; the rest is read and dropped.
    public static let outputLimit = 16 << 20

    /// Runs `argv` and returns when it has ended (killed by SIGKILL after `timeout`).
    /// A daemon it leaves behind holding its output streams does not hold this up: reading
    /// stops shortly after the program itself exits.
    /// - Parameters:
    ///   - argv: The program (a path, or a name looked up on PATH) and its arguments.
    ///   - input: What it reads on its standard input, which is then closed.
    ///   - timeout: How long it may run.
    /// - Throws: `BackendError` with code `missing-program` when it cannot be started.
    public static func run(_ argv: [String], input: Data = Data(), timeout: Duration) async throws -> Outcome {
        precondition(!argv.isEmpty, "a program to run")
        let path = try resolve(argv[0])
        let started = try spawn(path, arguments: Array(argv.dropFirst()))
        return try await Blocking.run { collect(started, input: input, timeout: timeout) }
    }

    private struct Started: Sendable {
        var pid: pid_t
        var input: Int32
        var output: Int32
        var error: Int32
    }

    /// Writes `input`, reads both outputs until they end (or shortly after the program
    /// exits), and reaps the program.
    private static func collect(_ started: Started, input: Data, timeout: Duration) -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var stdout = Data()
        var stderr = Data()
        var inputFD: Int32 = started.input
        var written = 0
        if input.isEmpty {
            close(inputFD)
            inputFD = -1
        }
        var open: [Int32] = [started.output, started.error]
        var status: Int32?
        var exitedAt: ContinuousClock.Instant?
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty || inputFD >= 0 {
            if status == nil, let ended = reap(started.pid, wait: false) {
                status = ended
                exitedAt = .now
            }
            if let exitedAt, ContinuousClock.now - exitedAt > .milliseconds(200) { break }
            if ContinuousClock.now >= deadline {
                kill(started.pid, SIGKILL)
                timedOut = true
                break
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if inputFD >= 0 { fds.append(pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), 20)
            if ready < 0, errno != EINTR { break }
            guard ready > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                if entry.fd == inputFD {
                    let count = input.withUnsafeBytes { bytes in
                        write(inputFD, bytes.baseAddress! + written, bytes.count - written)
                    }
                    if count > 0 { written += count }
                    // The program stopped reading (a closed pipe): the rest of the input is dropped.
                    if count < 0, errno != EAGAIN, errno != EINTR { written = input.count }
                    if written >= input.count {
                        close(inputFD)
                        inputFD = -1
                    }
                    continue
                }
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    if entry.fd == started.output {
                        if stdout.count < outputLimit { stdout.append(contentsOf: buffer[0..<min(count, outputLimit - stdout.count)]) }
                    } else if stderr.count < outputLimit {
                        stderr.append(contentsOf: buffer[0..<min(count, outputLimit - stderr.count)])
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        for fd in open { close(fd) }
        if inputFD >= 0 { close(inputFD) }
        let ended = status ?? reap(started.pid, wait: true) ?? 128 + SIGKILL
        return Outcome(status: ended, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// The exit status of `pid` once it has ended, nil while it runs (or, waiting, if it cannot be waited for).
    private static func reap(_ pid: pid_t, wait: Bool) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, wait ? 0 : WNOHANG)
            if result == -1, errno == EINTR { continue }
            guard result == pid else { return nil }
            let signal = status & 0x7f
            return signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }
    }

    /// The absolute path of `program`, searching PATH for a bare name.
    static func resolve(_ program: String) throws -> String {
        if program.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: program) else {
                throw BackendError(.missingProgram, "'\(program)' is not an executable file")
            }
            return program
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/\(program)") {
            return "\(directory)/\(program)"
        }
        throw BackendError(.missingProgram, "'\(program)' was not found on PATH")
    }

    private static func pipePair() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw BackendError(.missingProgram, "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        // Another child started meanwhile must not inherit them (ours close every other descriptor anyway).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func spawn(_ path: String, arguments: [String]) throws -> Started {
        let input = try pipePair()
        let output = try pipePair()
        let errors = try pipePair()
        defer {
            close(input.read)
            close(output.write)
            close(errors.write)
        }
        let pid: pid_t
        do {
            pid = try Spawn.start(path, arguments: arguments, streams: (input.read, output.write, errors.write))
        } catch {
            close(input.write)
            close(output.read)
            close(errors.read)
            throw BackendError(.missingProgram, "cannot start \(path): \(error.reason)")
        }
        _ = fcntl(input.write, F_SETFL, fcntl(input.write, F_GETFL) | O_NONBLOCK)
        return Started(pid: pid, input: input.write, output: output.read, error: errors.read)
    }
}

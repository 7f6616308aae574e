import Foundation
import MaintenanceKit
#if canImport(Glibc)
import Glibc
#endif

/// The lock that one maintctl process holds on a state directory while it changes the cluster
/// there (`run`, `resume`, `rollback`, `plan`, `cluster up`, `adopt` and `down`), so that two of
/// them never act on the same servers at once, whichever home (`MAINTCTL_HOME`) each uses: the
/// home's locks per cache only see the runs of that home.
///
/// A POSIX record lock on `maintctl.lock` in the directory: the kernel drops it when its
/// process ends however it ends (a crash, SIGKILL), so a dead holder never blocks the next
/// command. Readers (`cluster status`, `probe`) take none. The file names its holder's pid and
/// command for the refusal; it is not inherited by the servers and endpoints maintctl starts.
public final class StateDirectoryLock: Sendable {
    /// The lock file's name in the state directory.
    public static let fileName = "maintctl.lock"

    private let descriptor: Int32

    /// Takes the lock of `directory`, which must exist.
    /// - Parameter command: What this process does there, for another's refusal (`run`).
    /// - Throws: `BackendError` `cluster-busy` naming the holder when another process holds
    ///   it; `bad-state` when the file cannot be opened.
    public init(directory: String, command: String) throws {
        let path = directory + "/" + Self.fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackendError(.badState, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var lock = Self.wholeFile(F_WRLCK)
        guard fcntl(descriptor, F_SETLK, &lock) == 0 else {
            let holder = Self.holder(descriptor)
            close(descriptor)
            throw BackendError(.clusterBusy, "another maintctl (\(holder)) is changing the cluster in \(directory); "
                               + "wait for it to end, or stop it (Ctrl-C, or maintctl abort JOURNAL) and try again")
        }
        let text = "pid \(getpid()), maintctl \(command)\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Who holds the lock of `descriptor`'s file: what it wrote there, else its pid.
    private static func holder(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 200)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        let written = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        if !written.isEmpty { return written }
        var lock = wholeFile(F_WRLCK)
        return fcntl(descriptor, F_GETLK, &lock) == 0 && lock.l_type != Int16(F_UNLCK) ? "pid \(lock.l_pid)" : "another process"
    }

    private static func wholeFile(_ type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        return lock
    }
}

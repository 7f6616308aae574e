import Foundation
import MaintenanceKit

#if canImport(Glibc)
import Glibc
#endif

/// Nodes as directories of this machine and their servers as daemonized local
/// `redis-server` processes, started with argv arrays (never a shell).
public struct LocalProcessHost: ServerHost {
    public init() {}

    public var descriptor: BackendDescriptor { ProcessBackend.descriptor }
    public var record: HostRecord { .localProcesses }

    /// Attaches to the host a cluster's state records.
    /// - Throws: `BackendError` when the cluster's nodes are not local processes.
    public static func attach(_ record: HostRecord, directory: String) throws -> any ServerHost {
        guard record.kind == HostRecord.localProcesses.kind else {
            throw BackendError(.wrongBackend, "'\(directory)' holds a cluster of the \(record.kind) backend; "
                               + "use --backend \(record.kind) (this command attaches to local processes only)")
        }
        return LocalProcessHost()
    }

    /// The absolute path of an executable: `binary` itself when it is a path, else the first
    /// match on PATH.
    /// - Throws: `BackendError` when there is none.
    public static func executable(_ binary: String) throws -> String {
        try RedisServerProcess.resolve(binary)
    }

    public func check(version: String, runnable: String) async throws {
        _ = try RedisServerProcess.resolve(runnable)
    }

    public func provision(_ node: NodeSpec, runnable: String, directory: String) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    public func startServer(on node: String, runnable: String, arguments: [String], pidFile: String) async throws -> pid_t {
        try await RedisServerProcess.start(binary: runnable, arguments: arguments + ["--daemonize", "yes", "--pidfile", pidFile],
                                           pidFile: pidFile)
    }

    public func startEndpoint(on node: String, binary: String, arguments: [String], directory: String) async throws -> pid_t {
        try await EndpointProcess.daemonize(binary: binary, arguments: arguments, directory: directory)
    }

    public func crash(_ node: String, pids: [pid_t]) async {
        for pid in pids { kill(pid, SIGKILL) }
    }

    public func delete(_ node: String, directory: String) async throws {
        await RedisServerProcess.stopAll(under: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func deleteAll(under directory: String) async throws {
        await RedisServerProcess.stopAll(under: directory)
    }
}

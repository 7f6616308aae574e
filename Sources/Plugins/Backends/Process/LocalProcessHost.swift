import Foundation
import MaintenanceKit

#if canImport(Glibc)
import Glibc
#endif

/// Nodes as directories of this machine and their servers as daemonized local
/// `redis-server` processes, started with argv arrays (never a shell).
public struct LocalProcessHost: ServersOfThisMachine {
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

    public var runsEndpoints: Bool { true }

    public func provision(_ node: NodeSpec, runnable: String, directory: String, current: NodeLocation?, taken: Set<String>) async throws -> String? {
        try ThisMachine.makeDirectory(directory)
        return nil
    }

    public func startServer(on node: NodeLocation, runnable: String, arguments: [String], pidFile: String) async throws -> pid_t {
        try await RedisServerProcess.start(binary: runnable, arguments: arguments + ["--daemonize", "yes", "--pidfile", pidFile],
                                           pidFile: pidFile)
    }

    public func startEndpoint(on node: NodeLocation, binary: String, arguments: [String], directory: String) async throws -> pid_t {
        try await EndpointProcess.daemonize(binary: binary, arguments: arguments, directory: directory)
    }

    public func crash(_ node: NodeLocation, pids: [pid_t]) async {
        for pid in pids { kill(pid, SIGKILL) }
    }

    public func delete(_ node: NodeLocation, directory: String) async throws {
        await ThisMachine.stopServers(under: directory)
        ThisMachine.remove(directory)
    }

    public func deleteAll(under directory: String, nodes: [NodeLocation]) async throws {
        await ThisMachine.stopServers(under: directory)
    }
}

import Foundation
import MaintenanceKit
import RedisWire

#if canImport(Glibc)
import Glibc
#endif

/// A host whose servers are processes of this machine and whose node directories are its
/// own: local processes, and containers that share its process and network namespaces and
/// mount their node's directory at the same path. Conforming answers ``ServerHost``'s
/// process and file requirements with this machine's `/proc`, signals and files.
public protocol ServersOfThisMachine: ServerHost {}

extension ServersOfThisMachine {
    public func conditions(of servers: [HostedServer]) async -> [ServerCondition] { ThisMachine.conditions(of: servers) }
    public func signal(_ signal: ServerSignal, to servers: [HostedServer]) async { ThisMachine.signal(signal, to: servers) }
    public func stop(_ server: HostedServer, grace: Duration) async { await ThisMachine.stop(server, grace: grace) }
    public func stopServers(under directory: String, on node: NodeLocation) async { await ThisMachine.stopServers(under: directory) }
    public func makeDirectory(_ path: String, on node: NodeLocation) async throws { try ThisMachine.makeDirectory(path) }
    public func remove(_ path: String, on node: NodeLocation) async { ThisMachine.remove(path) }
    public func tail(of file: String, on node: NodeLocation) async -> String { ThisMachine.tail(of: file) }
    public func writeSecret(_ contents: String, in directory: String, on node: NodeLocation) async throws -> String {
        try ThisMachine.writeSecret(contents, in: directory)
    }
    public func writeFile(_ contents: Data, to path: String, on node: NodeLocation) async throws {
        try ThisMachine.writeFile(contents, to: path)
    }
    public func workingDirectory(of server: HostedServer) async -> String? {
        guard RedisServerProcess.isOurs(pid: server.pid, port: server.port) else { return nil }
        return try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server.pid)/cwd")
    }
    public func endpointsRunning(_ endpoints: [HostedEndpoint]) async -> [Bool] {
        endpoints.map { EndpointProcess.isOurs(pid: $0.pid, listen: $0.listen) }
    }
    public func stopEndpoint(_ endpoint: HostedEndpoint, grace: Duration) async {
        await EndpointProcess.stop(pid: endpoint.pid, listen: endpoint.listen, grace: grace)
    }
    public func stopEndpoints(under directory: String, on nodes: [NodeLocation]) async {
        await EndpointProcess.stopAll(under: directory)
    }
    public func controlSocket(endpointIn directory: String, of node: NodeLocation, renew: Bool) async throws -> String {
        EndpointProcess.controlSocket(in: directory)
    }
    // Every node is this machine: there is no other place to ask from, and its loopback
    // traffic cannot be cut for one node (the simulated backend rehearses network faults).
    public func reach(_ servers: [ServerAddress], from node: NodeLocation, caFile: String?) async -> Bool? { nil }
    public var networkFaults: Set<FaultKind> { [] }
    public func partition(_ node: NodeLocation, from peers: [String], for duration: Duration) async throws {
        throw BackendError(.faultNotInjectable, "nodes on this machine's loopback cannot be partitioned for real")
    }
    public func slow(_ node: NodeLocation, factor: Double, for duration: Duration) async throws -> String {
        throw BackendError(.faultNotInjectable, "nodes on this machine's loopback cannot be slowed for real")
    }
    public func healNetwork(_ node: NodeLocation) async {}
}

/// This machine's processes and files, for hosts of ``ServersOfThisMachine``.
public enum ThisMachine {
    public static func conditions(of servers: [HostedServer]) -> [ServerCondition] {
        servers.map { server in
            guard RedisServerProcess.isOurs(pid: server.pid, port: server.port) else { return .gone }
            return RedisServerProcess.isStopped(server.pid) ? .stopped : .running
        }
    }

    public static func signal(_ signal: ServerSignal, to servers: [HostedServer]) {
        let number = switch signal {
        case .pause: SIGSTOP
        case .resume: SIGCONT
        case .kill: SIGKILL
        }
        for server in servers where RedisServerProcess.isOurs(pid: server.pid, port: server.port) {
            kill(server.pid, number)
        }
    }

    public static func stop(_ server: HostedServer, grace: Duration) async {
        await RedisServerProcess.stop(pid: server.pid, port: server.port, grace: grace)
    }

    public static func stopServers(under directory: String) async {
        await RedisServerProcess.stopAll(under: directory)
    }

    public static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BackendError(.stateWriteFailed, "cannot make the directory \(path): \(error.localizedDescription)")
        }
    }

    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    public static func tail(of file: String) -> String {
        EndpointProcess.tail(of: file)
    }

    public static func writeFile(_ contents: Data, to path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = path + ".part"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: temporary)
            guard FileManager.default.createFile(atPath: temporary, contents: contents, attributes: [.posixPermissions: 0o600]) else {
                throw BackendError(.stateWriteFailed, "cannot write \(path)")
            }
            guard rename(temporary, path) == 0 else { throw BackendError(.stateWriteFailed, "cannot write \(path): \(String(cString: strerror(errno)))") }
        } catch let error as BackendError {
            throw error
        } catch {
            throw BackendError(.stateWriteFailed, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    public static func writeSecret(_ contents: String, in directory: String) throws -> String {
        try SecretHandoff.write(contents, in: directory)
    }
}

import Foundation
import MaintenanceKit
import RedisWire

/// Speaks to the `redis-server`s of a live cluster on loopback: sends their commands over one
/// cached connection per port, reads their replication and cluster state, and joins, moves and
/// stops them. It knows no cluster state; callers pass the ports and copies to act on.
actor RedisClusterDriver {
    private var connections: [Int: RedisConnection] = [:]
    /// The cluster's password, given to each server on connecting; nil when it has none.
    private let password: String?

    init(password: String?) {
        self.password = password
    }

    /// A connection to the server on `port`, reused while it works.
    func connection(_ port: Int) async throws -> RedisConnection {
        if let existing = connections[port] { return existing }
        let fresh = try await RedisConnection.connect(port: port, password: password)
        // Another caller may have connected to the same server meanwhile: one connection each.
        if let existing = connections[port] {
            await fresh.close()
            return existing
        }
        connections[port] = fresh
        return fresh
    }

    /// Drops the cached connection to `port`: its server stopped, or a new one is about to listen there.
    func forgetConnection(to port: Int) async {
        guard let link = connections.removeValue(forKey: port) else { return }
        await link.close()
    }

    /// Closes every cached connection.
    func closeAll() async {
        let links = connections.values
        connections.removeAll()
        for link in links { await link.close() }
    }

    /// Sends a command on `port`, dropping the cached connection when it fails.
    /// - Throws: `RedisError`: of kind `server` for an error reply, else the connection's.
    @discardableResult
    func run(_ port: Int, _ arguments: String..., timeout: Duration = .seconds(5)) async throws -> RESPValue {
        try await run(port, arguments, timeout: timeout)
    }

    private func run(_ port: Int, _ arguments: [String], timeout: Duration) async throws -> RESPValue {
        let link = try await connection(port)
        do {
            let reply = try await link.send(arguments, timeout: timeout)
            if case let .error(message) = reply {
                throw RedisError(.server, "127.0.0.1:\(port) \(arguments.prefix(2).joined(separator: " ")): \(message)")
            }
            return reply
        } catch let error as RedisError where error.kind != .server {
            if connections[port] === link { connections[port] = nil }
            await link.close()
            throw error
        }
    }

    /// The server's `INFO replication`.
    func replication(_ port: Int, timeout: Duration = .seconds(5)) async throws -> ReplicationInfo {
        ReplicationInfo(try await run(port, "INFO", "replication", timeout: timeout).string ?? "")
    }

    /// Whether the server on `port` is a primary that serves slots in its own view of the
    /// cluster. A new copy is a primary without slots until it replicates; it is not the
    /// shard's primary.
    func isServingPrimary(_ port: Int, timeout: Duration = .seconds(5)) async throws -> Bool {
        guard try await replication(port, timeout: timeout).isPrimary else { return false }
        return try await servesSlots(port, timeout: timeout)
    }

    /// Whether the server on `port` owns slots in its own view of the cluster (its `myself`
    /// line of `CLUSTER NODES` lists slot ranges).
    func servesSlots(_ port: Int, timeout: Duration = .seconds(5)) async throws -> Bool {
        let nodes = try await run(port, "CLUSTER", "NODES", timeout: timeout).string ?? ""
        guard let myself = nodes.split(whereSeparator: \.isNewline).first(where: { $0.contains("myself") }) else { return false }
        return myself.split(separator: " ").count > 8
    }

    /// Whether the server reports `cluster_state:ok`.
    func clusterStateOK(_ port: Int) async throws -> Bool { try await connection(port).clusterStateOK() }

    /// The Redis node ids the server knows.
    func knownNodeIDs(_ port: Int) async throws -> Set<String> { try await connection(port).knownNodeIDs() }

    /// The highest config epoch the server has heard of.
    func currentEpoch(_ port: Int) async throws -> Int? { try await connection(port).currentEpoch() }

    /// The megabytes of data the server holds (`used_memory_dataset`).
    func datasetMegabytes(_ port: Int) async throws -> Double {
        (Double(try await connection(port).infoField("memory", "used_memory_dataset") ?? "") ?? 0) / 1_048_576
    }

    /// Introduces the server on `port` to `other` (`CLUSTER MEET`).
    func meet(_ port: Int, _ other: ClusterState.Copy) async throws {
        try await run(port, "CLUSTER", "MEET", "127.0.0.1", "\(other.port)", "\(other.busPort)")
    }

    /// Makes `copy` a replica of `primary`, retrying while the cluster is still spreading the news of it.
    /// - Throws: `BackendError` when it is still refused after 20 s.
    func replicate(_ copy: ClusterState.Copy, of primary: ClusterState.Copy) async throws {
        try await Polling.waitUntil("\(copy.node) to replicate \(primary.node)", limit: .seconds(20)) {
            do {
                try await self.run(copy.port, "CLUSTER", "REPLICATE", primary.redisID)
                return true
            } catch let error as RedisError where error.kind == .server {
                return false
            }
        }
    }

    /// Stops the server `pid` on `port`: `SHUTDOWN NOSAVE NOW` takes effect at once (SIGTERM
    /// waits for the server's next 100 ms timer tick); signals by pid are the fallback. A
    /// server a `pause` fault stopped runs again first.
    func shutDown(pid: Int32, port: Int) async {
        if RedisServerProcess.isOurs(pid: pid, port: port) {
            kill(pid, SIGCONT)
            _ = try? await run(port, "SHUTDOWN", "NOSAVE", "NOW", timeout: .milliseconds(500))
            for _ in 0..<100 where RedisServerProcess.isAlive(pid) { try? await Task.sleep(for: .milliseconds(2)) }
        }
        await forgetConnection(to: port)
        await RedisServerProcess.stop(pid: pid, port: port)
    }
}

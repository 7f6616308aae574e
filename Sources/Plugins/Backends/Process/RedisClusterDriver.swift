import Foundation
import MaintenanceKit
import RedisWire

/// Speaks to the `redis-server`s of a live cluster: sends their commands over one cached
/// connection per address, reads their replication and cluster state, and joins, moves and
/// stops them. It knows no cluster state; callers pass the addresses and copies to act on.
actor RedisClusterDriver {
    private var connections: [ServerAddress: RedisConnection] = [:]
    /// The cluster's password, given to each server on connecting; nil when it has none.
    private let password: String?
    /// The cluster's TLS; nil for plain TCP.
    private let tls: RedisTLS?

    init(password: String?, tls: RedisTLS?) {
        self.password = password
        self.tls = tls
    }

    /// A connection to the server at `address`, reused while it works.
    func connection(_ address: ServerAddress) async throws -> RedisConnection {
        if let existing = connections[address] { return existing }
        let fresh = try await RedisConnection.connect(host: address.host, port: address.port, password: password, tls: tls)
        // Another caller may have connected to the same server meanwhile: one connection each.
        if let existing = connections[address] {
            await fresh.close()
            return existing
        }
        connections[address] = fresh
        return fresh
    }

    /// Drops the cached connection to `address`: its server stopped, or a new one is about to listen there.
    func forgetConnection(to address: ServerAddress) async {
        guard let link = connections.removeValue(forKey: address) else { return }
        await link.close()
    }

    /// Closes every cached connection.
    func closeAll() async {
        let links = connections.values
        connections.removeAll()
        for link in links { await link.close() }
    }

    /// Sends a command to `address`, dropping the cached connection when it fails.
    /// - Throws: `RedisError`: of kind `server` for an error reply, else the connection's.
    @discardableResult
    func run(_ address: ServerAddress, _ arguments: String..., timeout: Duration = .seconds(5)) async throws -> RESPValue {
        try await run(address, arguments, timeout: timeout)
    }

    private func run(_ address: ServerAddress, _ arguments: [String], timeout: Duration) async throws -> RESPValue {
        let link = try await connection(address)
        do {
            let reply = try await link.send(arguments, timeout: timeout)
            if case let .error(message) = reply {
                throw RedisError(.server, "\(address) \(arguments.prefix(2).joined(separator: " ")): \(message)")
            }
            return reply
        } catch let error as RedisError where error.kind != .server {
            if connections[address] === link { connections[address] = nil }
            await link.close()
            throw error
        }
    }

    /// The server's `INFO replication`.
    func replication(_ address: ServerAddress, timeout: Duration = .seconds(5)) async throws -> ReplicationInfo {
        ReplicationInfo(try await run(address, "INFO", "replication", timeout: timeout).string ?? "")
    }

    /// Whether the server at `address` is a primary that serves slots in its own view of the
    /// cluster. A new copy is a primary without slots until it replicates; it is not the
    /// shard's primary.
    func isServingPrimary(_ address: ServerAddress, timeout: Duration = .seconds(5)) async throws -> Bool {
        guard try await replication(address, timeout: timeout).isPrimary else { return false }
        return try await servesSlots(address, timeout: timeout)
    }

    /// Whether the server at `address` owns slots in its own view of the cluster (its `myself`
    /// line of `CLUSTER NODES` lists slot ranges).
    func servesSlots(_ address: ServerAddress, timeout: Duration = .seconds(5)) async throws -> Bool {
        let nodes = try await run(address, "CLUSTER", "NODES", timeout: timeout).string ?? ""
        guard let myself = nodes.split(whereSeparator: \.isNewline).first(where: { $0.contains("myself") }) else { return false }
        return myself.split(separator: " ").count > 8
    }

    /// Asks `replica` to replicate `primary` again, which it already does: it reconnects at
    /// once and continues by partial resync, streamed from the start (see `StalledStream`).
    /// Best effort: a replica that does not answer is looked at again by the caller.
    func reconnect(_ replica: ClusterState.Copy, to primary: ClusterState.Copy) async {
        _ = try? await run(replica.address, "CLUSTER", "REPLICATE", primary.redisID, timeout: .milliseconds(500))
    }

    /// The slot ranges the server at `address` sees the node `id` serve (from its `CLUSTER
    /// NODES`); empty when it does not know the node or knows no slots of it.
    func slots(of id: String, seenAt address: ServerAddress) async throws -> [ClosedRange<Int>] {
        let nodes = try await run(address, "CLUSTER", "NODES").string ?? ""
        return ClusterNodeEntry.parse(nodes).first { $0.id == id }?.slots ?? []
    }

    /// The config epochs of the primaries the server at `address` knows (from `CLUSTER NODES`).
    func primaryConfigEpochs(_ address: ServerAddress) async throws -> Set<Int> {
        let nodes = try await run(address, "CLUSTER", "NODES").string ?? ""
        return Set(nodes.split(whereSeparator: \.isNewline).compactMap { line -> Int? in
            let fields = line.split(separator: " ")
            guard fields.count > 6, fields[2].split(separator: ",").contains("master") else { return nil }
            return Int(fields[6])
        })
    }

    /// The server's `CLUSTER INFO` fields (`cluster_current_epoch`, `cluster_slots_assigned`, …).
    func clusterInfo(_ address: ServerAddress) async throws -> [String: String] {
        ReplicationInfo(try await run(address, "CLUSTER", "INFO").string ?? "").fields
    }

    /// Whether the server reports `cluster_state:ok`.
    func clusterStateOK(_ address: ServerAddress) async throws -> Bool { try await connection(address).clusterStateOK() }

    /// The Redis node ids the server knows.
    func knownNodeIDs(_ address: ServerAddress) async throws -> Set<String> { try await connection(address).knownNodeIDs() }

    /// Whether the server at `address` knows the node `id` (`CLUSTER COUNT-FAILURE-REPORTS`
    /// answers for known nodes only: a short question, where `CLUSTER NODES` lists them all).
    func knows(_ id: String, at address: ServerAddress) async -> Bool {
        do {
            _ = try await run(address, "CLUSTER", "COUNT-FAILURE-REPORTS", id)
            return true
        } catch {
            return false
        }
    }

    /// The highest config epoch the server has heard of.
    func currentEpoch(_ address: ServerAddress) async throws -> Int? { try await connection(address).currentEpoch() }

    /// The megabytes of data the server holds (`used_memory_dataset`).
    func datasetMegabytes(_ address: ServerAddress) async throws -> Double {
        (Double(try await connection(address).infoField("memory", "used_memory_dataset") ?? "") ?? 0) / 1_048_576
    }

    /// Introduces the server at `address` to `other` (`CLUSTER MEET`).
    func meet(_ address: ServerAddress, _ other: ClusterState.Copy) async throws {
        try await run(address, "CLUSTER", "MEET", other.address.host, "\(other.port)", "\(other.busPort)")
    }

    /// Part of Redis's answer to `CLUSTER REPLICATE` of a node it takes for a replica.
    private static let refusalOfAReplica = "only replicate a master"

    /// Makes `copy` a replica of `primary`, retrying while the cluster is still spreading the news
    /// of it, for as long as `stillWanted` says the copy should follow (it is not being removed).
    ///
    /// A copy refuses while it does not know `primary` as a primary: a promotion moments ago
    /// reached the servers linked to the new primary at once, but one that met the cluster
    /// just before hears of it only from the new primary itself, which pings each server at
    /// least every half `cluster-node-timeout` (2.5 s; seen to cost a move 2.4 s). After a
    /// refusal for 20 ms (the broadcast reaches a linked copy within milliseconds) `primary`
    /// meets the copy, then every 100 ms: its `MEET` carries its role, which the copy takes
    /// from a node it knows. (The copy meeting `primary` does not do: the answer comes on a
    /// handshake link, which Redis drops at once for a node it knows, reading nothing else.)
    /// - Throws: `BackendError` when it is still refused after 20 s.
    func replicate(_ copy: ClusterState.Copy, of primary: ClusterState.Copy,
                   while stillWanted: @escaping @Sendable () async -> Bool = { true }) async throws {
        var metAgain = ContinuousClock.now - .milliseconds(80)
        try await Polling.waitUntil("\(copy.node) to replicate \(primary.node)", limit: .seconds(20)) {
            guard await stillWanted() else { return true }
            do {
                try await self.run(copy.address, "CLUSTER", "REPLICATE", primary.redisID)
                return true
            } catch let error as RedisError where error.kind == .server {
                // Not for a primary the copy does not know yet: its own introduction ends that.
                if error.message.contains(Self.refusalOfAReplica), ContinuousClock.now - metAgain >= .milliseconds(100) {
                    try? await self.meet(primary.address, copy)
                    metAgain = .now
                }
                return false
            }
        }
    }

    /// Asks the server at `address` to end now (`SHUTDOWN NOSAVE NOW`), without waiting for
    /// it to be gone; its connection is dropped.
    func shutDownNow(_ address: ServerAddress) async {
        _ = try? await run(address, "SHUTDOWN", "NOSAVE", "NOW", timeout: .milliseconds(500))
        await forgetConnection(to: address)
    }
}

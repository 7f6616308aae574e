import Foundation
import MaintenanceKit
import RedisWire

/// What the endpoints do so that clients see no maintenance: they hold a shard's requests
/// while it fails over, tell the clients that asked what is coming (maintenance
/// notifications), and hand a leaving node's address to the node that replaced it.
extension ProcessBackend {
    /// The cache's endpoint policy (the standard one for states written before it existed).
    func endpointPolicy(of cache: String) -> EndpointPolicy {
        ((try? store.cache(cache))?.endpoints) ?? .standard
    }

    /// Sends `command` to every running endpoint of `cache` side by side, each bounded; returns
    /// the answers by node. An endpoint that does not answer is logged, not fatal: it reads the
    /// slot map on its own, and a redirection brings its clients' requests where they belong.
    @discardableResult
    func tellEndpoints(of cache: String, _ command: [String], except: String? = nil, timeout: Duration = .seconds(2)) async -> [String: RESPValue] {
        guard let record = try? store.cache(cache) else { return [:] }
        let root = directory
        // An endpoint whose node is deleted serves its last clients until it closes, and its
        // control socket went with the node's directory: nobody can tell it anything.
        let running = record.nodes.filter { node in
            node.id != except && node.endpoint.map { EndpointProcess.isOurs(pid: $0.pid, port: $0.port) } ?? false
                && FileManager.default.fileExists(atPath: ClusterState.endpointControl(root: root, node: node.id))
        }
        let logger = self.logger
        return await withTaskGroup(of: (String, RESPValue?).self) { group in
            for node in running {
                group.addTask {
                    do {
                        return (node.id, try await EndpointProcess.control(command, controlSocket: ClusterState.endpointControl(root: root, node: node.id),
                                                                           timeout: timeout))
                    } catch {
                        logger.warning("the endpoint of \(cache)/\(node.id) did not answer \(command.first ?? ""): \(error)")
                        return (node.id, nil)
                    }
                }
            }
            var answers: [String: RESPValue] = [:]
            for await (node, answer) in group {
                if let answer { answers[node] = answer }
            }
            return answers
        }
    }

    /// Every endpoint of `cache` holds the requests for the shard whose primary listens on
    /// `primaryPort` (clients that asked hear `FAILING_OVER`). One that does not confirm within
    /// 100 ms is not waited for: the failover is safe without its hold (its requests meet the
    /// paused primary, then its redirection), and a hold that comes after the release finds
    /// the primary replaced in its map and is refused.
    func holdShard(primaryPort: Int, in cache: String) async {
        let limit = endpointPolicy(of: cache).holdLimitMilliseconds
        await tellEndpoints(of: cache, ["HOLD", "\(RedisConnection.loopback):\(primaryPort)", String(limit)], timeout: .milliseconds(100))
    }

    /// Every endpoint of `cache` routes the shard of `primaryPort` to `successorPort` and sends
    /// what it held there (`FAILED_OVER`).
    /// - Returns: The endpoints whose hold had expired (they answered its requests `TRYAGAIN`).
    @discardableResult
    func releaseShard(primaryPort: Int, to successorPort: Int, in cache: String) async -> [String] {
        let answers = await tellEndpoints(of: cache, ["RELEASE", "\(RedisConnection.loopback):\(primaryPort)", "\(RedisConnection.loopback):\(successorPort)"])
        return answers.filter { $0.value.isError }.map(\.key).sorted()
    }

    /// Tells the clients that asked that a copy of `shard` starts moving, for about as long as
    /// its data takes to copy (at 100 MB/s, at least 2 s).
    func notifyMigrating(_ shard: String, in cache: String) async {
        let megabytes = (try? store.shard(shard, in: cache).sizeMB) ?? 0
        await tellEndpoints(of: cache, ["NOTIFY", "MIGRATING", String(max(2, Int((megabytes / 100).rounded(.up)) + 1))])
    }

    func notifyMigrated(in cache: String) async {
        await tellEndpoints(of: cache, ["NOTIFY", "MIGRATED"])
    }

    /// The endpoint of `node`, which leaves, hands its addresses to its successor's endpoint
    /// (the node its copies moved to), then tells its clients `MOVING` there and closes their
    /// connections after the policy's grace. New clients of its address reach the successor
    /// at once; the connected ones move when told, or when closed.
    /// - Throws: `BackendError` when the successor cannot take the address (the old endpoint
    ///   then serves it again).
    func handOffEndpoint(of node: String, in cache: String) async throws {
        let record = try store.cache(cache)
        guard let leaving = record.nodes.first(where: { $0.id == node }), let endpoint = leaving.endpoint,
              EndpointProcess.isOurs(pid: endpoint.pid, port: endpoint.port) else { return }
        if endpoint.closesAt == nil {
            guard try await handOffAddresses(of: leaving, endpoint: endpoint, in: record) else { return }
        }
        // Told again after a crash between the record and the telling: the clients may not have
        // heard it (a client that did drops the repeat by its id only if the id is the same).
        let current = try store.cache(cache)
        guard let closesAt = current.nodes.first(where: { $0.id == node })?.endpoint?.closesAt,
              let target = current.nodes.first(where: { $0.endpoint?.adoptedPorts?.contains(endpoint.port) == true })?.endpoint else { return }
        let seconds = max(0, Int(closesAt.timeIntervalSinceNow.rounded(.up)))
        try await requireOK(EndpointProcess.control(["MOVING", "\(RedisConnection.loopback):\(target.port)", String(seconds)],
                                                    controlSocket: ClusterState.endpointControl(root: directory, node: node)), "\(node) MOVING")
        logger.info("the endpoint of \(cache)/\(node) handed its address to port \(target.port) and closes in \(seconds)s")
    }

    /// The successor's endpoint listens on the old one's addresses, the old one stops accepting,
    /// and the state records both (with when the old one closes). Only then are the clients told: one
    /// that reconnects at once finds the successor there.
    /// - Returns: False when no endpoint can take the addresses.
    private func handOffAddresses(of leaving: ClusterState.Node, endpoint: ClusterState.Endpoint, in record: ClusterState.Cache) async throws -> Bool {
        let serving = record.nodes.filter { candidate in
            candidate.id != leaving.id && candidate.lifecycle == .active
                && candidate.endpoint.map { $0.closesAt == nil && EndpointProcess.isOurs(pid: $0.pid, port: $0.port) } ?? false
        }
        guard let successor = serving.first(where: { $0.id == leaving.successor }) ?? serving.last, let target = successor.endpoint else {
            logger.warning("no endpoint of \(record.id) can take over \(leaving.id)'s address; its clients are disconnected when it is deleted")
            return false
        }
        let leavingControl = ClusterState.endpointControl(root: directory, node: leaving.id)
        let successorControl = ClusterState.endpointControl(root: directory, node: successor.id)
        let addresses = endpoint.ports.map { "\(RedisConnection.loopback):\($0)" }
        // The successor listens first (the endpoints share the port), then the leaving one stops:
        // a client connecting meanwhile reaches one or the other, never a refusal.
        do {
            for address in addresses {
                try await requireOK(EndpointProcess.control(["LISTEN", address], controlSocket: successorControl), "\(successor.id) LISTEN \(address)")
            }
        } catch {
            for address in addresses { _ = try? await EndpointProcess.control(["UNLISTEN", address], controlSocket: successorControl) }
            throw BackendError(.endpointHandOffFailed, "the endpoint of \(successor.id) could not take over \(leaving.id)'s address: \(error)")
        }
        try await requireOK(EndpointProcess.control(["UNLISTEN"], controlSocket: leavingControl), "\(leaving.id) UNLISTEN")
        let grace = endpointPolicy(of: record.id).movingGraceSeconds
        try store.updateCache(record.id) { record in
            if let index = record.nodes.firstIndex(where: { $0.id == successor.id }) {
                let adopted = (record.nodes[index].endpoint?.adoptedPorts ?? []) + endpoint.ports
                record.nodes[index].endpoint?.adoptedPorts = adopted.filter { $0 != target.port }
            }
            if let index = record.nodes.firstIndex(where: { $0.id == leaving.id }) {
                record.nodes[index].endpoint?.adoptedPorts = nil
                record.nodes[index].endpoint?.closesAt = Date().addingTimeInterval(TimeInterval(grace))
            }
        }
        try store.persist()
        return true
    }

    /// Waits until the endpoint of `node`, which told its clients `MOVING`, has no client left or
    /// its grace is over, whichever comes first.
    func waitForClientsToLeave(_ node: String, in cache: String) async {
        guard let endpoint = try? store.cache(cache).nodes.first(where: { $0.id == node })?.endpoint, let closesAt = endpoint.closesAt else { return }
        let control = ClusterState.endpointControl(root: directory, node: node)
        while Date() < closesAt, EndpointProcess.isOurs(pid: endpoint.pid, port: endpoint.port) {
            if let status = try? await EndpointProcess.control(["STATUS"], controlSocket: control, timeout: .seconds(1)),
               let data = status.string?.data(using: .utf8), let parsed = try? JSONDecoder().decode(EndpointClients.self, from: data),
               parsed.clients == 0 { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        // The endpoint closes what is left at the end of its grace.
        try? await Task.sleep(for: .milliseconds(200))
    }

    private func requireOK(_ answer: RESPValue, _ what: String) throws {
        if case let .error(message) = answer { throw BackendError(.endpointHandOffFailed, "\(what): \(message)") }
    }
}

/// The part of an endpoint's `STATUS` that tells whether clients are left.
private struct EndpointClients: Decodable {
    var clients: Int
}

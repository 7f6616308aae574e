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
    /// - Parameter leaving: Whether the endpoints that handed their address on (their node
    ///   leaves; they close soon, and may be closing now) are told too.
    @discardableResult
    func tellEndpoints(of cache: String, _ command: [String], except: String? = nil, leaving: Bool = true,
                       timeout: Duration = .seconds(2)) async -> [String: RESPValue] {
        guard let record = try? store.cache(cache) else { return [:] }
        // An endpoint whose node is deleted serves its last clients until it closes, and its
        // control socket went with the node's directory: nobody can tell it anything.
        let running = await nodesWithRunningEndpoints(record.nodes.filter {
            $0.id != except && $0.lifecycle != .deleted && (leaving || $0.endpoint?.closesAt == nil)
        })
        let logger = self.logger
        return await withTaskGroup(of: (String, RESPValue?).self) { group in
            for node in running {
                group.addTask {
                    do {
                        return (node, try await self.control(command, endpointOf: node, timeout: timeout))
                    } catch {
                        logger.warning("the endpoint of \(cache)/\(node) did not answer \(command.first ?? ""): \(error)")
                        return (node, nil)
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

    /// Every endpoint of `cache` holds the requests for the shard whose primary is `primary`
    /// (clients that asked hear `FAILING_OVER`). One that does not confirm within
    /// 100 ms is not waited for: the failover is safe without its hold (its requests meet the
    /// paused primary, then its redirection), and a hold that comes after the release finds
    /// the primary replaced in its map and is refused.
    func holdShard(primary: ServerAddress, in cache: String) async {
        let limit = endpointPolicy(of: cache).holdLimitMilliseconds
        await tellEndpoints(of: cache, ["HOLD", "\(primary.host):\(primary.port)", String(limit)], timeout: .milliseconds(100))
    }

    /// Every endpoint of `cache` routes the shard of `primary` to `successor` and sends
    /// what it held there (`FAILED_OVER`).
    /// - Returns: The endpoints whose hold had expired (they answered its requests `TRYAGAIN`).
    @discardableResult
    func releaseShard(primary: ServerAddress, to successor: ServerAddress, in cache: String) async -> [String] {
        let answers = await tellEndpoints(of: cache, ["RELEASE", "\(primary.host):\(primary.port)", "\(successor.host):\(successor.port)"])
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
    /// connections after the policy's grace. On one machine, new clients of its address reach
    /// the successor at once; the connected ones move when told, or when closed. A successor
    /// on another machine cannot take the address: the leaving endpoint stops accepting, and
    /// its clients move when told, or reconnect elsewhere when closed.
    /// - Throws: `BackendError` when the successor cannot take the address (the old endpoint
    ///   then serves it again).
    func handOffEndpoint(of node: String, in cache: String) async throws {
        let record = try store.cache(cache)
        guard let leaving = record.nodes.first(where: { $0.id == node }), let endpoint = leaving.endpoint,
              let hosted = hostedEndpoint(of: leaving), await host.endpointsRunning([hosted]) == [true] else { return }
        if endpoint.closesAt == nil {
            guard try await handOffAddresses(of: leaving, endpoint: endpoint, in: record) else { return }
        }
        // Told again after a crash between the record and the telling: the clients may not have
        // heard it (a client that did drops the repeat by its id only if the id is the same).
        let current = try store.cache(cache)
        guard let closesAt = current.nodes.first(where: { $0.id == node })?.endpoint?.closesAt else { return }
        let recorded = current.nodes.first(where: { $0.id == node })?.endpoint?.movingTo
        let adopter = current.nodes.first(where: { $0.endpoint?.adoptedPorts?.contains(endpoint.port) == true })
        guard let target = recorded ?? adopter.flatMap({ adopter in adopter.endpoint.map { endpointAddress(of: adopter, port: $0.port) } }) else { return }
        let seconds = max(0, Int(closesAt.timeIntervalSinceNow.rounded(.up)))
        try requireOK(await control(["MOVING", target, String(seconds)], endpointOf: node), "\(node) MOVING")
        logger.info("the endpoint of \(cache)/\(node) told its clients to move to \(target) and closes in \(seconds)s")
    }

    /// On one machine, the successor's endpoint listens on the old one's addresses first; then
    /// the old one stops accepting, and the state records where its clients go and when it
    /// closes. Only then are the clients told: one that reconnects at once finds the successor there.
    /// - Returns: False when no endpoint can take over.
    private func handOffAddresses(of leaving: ClusterState.Node, endpoint: ClusterState.Endpoint, in record: ClusterState.Cache) async throws -> Bool {
        let candidates = record.nodes.filter { candidate in
            candidate.id != leaving.id && candidate.lifecycle == .active && candidate.endpoint?.closesAt == nil
        }
        let running = await nodesWithRunningEndpoints(candidates)
        let serving = candidates.filter { running.contains($0.id) }
        guard let successor = serving.first(where: { $0.id == leaving.successor }) ?? serving.last, let target = successor.endpoint else {
            logger.warning("no endpoint of \(record.id) can take over \(leaving.id)'s clients; they are disconnected when it is deleted")
            return false
        }
        let sameMachine = successor.host == leaving.host
        if sameMachine {
            let addresses = endpoint.ports.map { endpointAddress(of: leaving, port: $0) }
            // The successor listens first (the endpoints share the port), then the leaving one stops:
            // a client connecting meanwhile reaches one or the other, never a refusal.
            do {
                for address in addresses {
                    try requireOK(await control(["LISTEN", address], endpointOf: successor.id), "\(successor.id) LISTEN \(address)")
                }
            } catch {
                for address in addresses { _ = try? await control(["UNLISTEN", address], endpointOf: successor.id) }
                throw BackendError(.endpointHandOffFailed, "the endpoint of \(successor.id) could not take over \(leaving.id)'s address: \(error)")
            }
        }
        try requireOK(await control(["UNLISTEN"], endpointOf: leaving.id), "\(leaving.id) UNLISTEN")
        let grace = endpointPolicy(of: record.id).movingGraceSeconds
        let movingTo = endpointAddress(of: successor, port: target.port)
        try store.updateCache(record.id) { record in
            if sameMachine, let index = record.nodes.firstIndex(where: { $0.id == successor.id }) {
                let adopted = (record.nodes[index].endpoint?.adoptedPorts ?? []) + endpoint.ports
                record.nodes[index].endpoint?.adoptedPorts = adopted.filter { $0 != target.port }
            }
            if let index = record.nodes.firstIndex(where: { $0.id == leaving.id }) {
                record.nodes[index].endpoint?.adoptedPorts = nil
                record.nodes[index].endpoint?.closesAt = Date().addingTimeInterval(TimeInterval(grace))
                record.nodes[index].endpoint?.movingTo = movingTo
            }
        }
        try store.persist()
        return true
    }

    /// Waits until the endpoint of `node`, which told its clients `MOVING`, has no client left or
    /// its grace is over, whichever comes first.
    func waitForClientsToLeave(_ node: String, in cache: String) async {
        guard let current = try? store.cache(cache).nodes.first(where: { $0.id == node }), let closesAt = current.endpoint?.closesAt,
              let hosted = hostedEndpoint(of: current) else { return }
        while Date() < closesAt, await host.endpointsRunning([hosted]) == [true] {
            if let status = try? await control(["STATUS"], endpointOf: node, timeout: .seconds(1)),
               let data = status.string?.data(using: .utf8), let parsed = try? JSONDecoder().decode(EndpointClients.self, from: data),
               (parsed.applicationClients ?? parsed.clients) == 0 { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        // The endpoint closes what is left at the end of its grace.
        try? await Task.sleep(for: .milliseconds(200))
    }

    private func requireOK(_ answer: RESPValue, _ what: String) throws {
        if case let .error(message) = answer { throw BackendError(.endpointHandOffFailed, "\(what): \(message)") }
    }
}

/// The part of an endpoint's `STATUS` that tells whether clients are left: applications, when
/// the endpoint tells them from observers (maintctl's own failure detector is one).
private struct EndpointClients: Decodable {
    var clients: Int
    var applicationClients: Int?

    enum CodingKeys: String, CodingKey {
        case clients
        case applicationClients = "application_clients"
    }
}

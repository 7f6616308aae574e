import Foundation
import MaintenanceKit
import RedisWire

/// Every node runs an endpoint (`maintctl-proxy`): clients connect to any node's endpoint and
/// need not speak Redis Cluster. The backend starts it with the node, stops it with the node,
/// starts it again when it died, and tells it when the slot map changed.
extension ProcessBackend {
    /// The endpoint of `node` on its machine; nil when it has none.
    func hostedEndpoint(of node: ClusterState.Node) -> HostedEndpoint? {
        node.endpoint.map { HostedEndpoint(node: NodeLocation(id: node.id, address: node.host), pid: $0.pid, port: $0.port) }
    }

    /// The ids of the nodes among `nodes` whose endpoint runs (one question per machine).
    func nodesWithRunningEndpoints(_ nodes: [ClusterState.Node]) async -> Set<String> {
        let hosted = nodes.compactMap { node in hostedEndpoint(of: node).map { (node.id, $0) } }
        let running = await host.endpointsRunning(hosted.map(\.1))
        return Set(zip(hosted, running).filter(\.1).map(\.0.0))
    }

    /// Sends `command` to the control socket of the endpoint of `node`, over a connection kept
    /// for the next word (``ControlConnections``).
    /// - Throws: When it does not answer in time.
    func control(_ command: [String], endpointOf node: String, timeout: Duration = .seconds(2)) async throws -> RESPValue {
        let (directory, location) = (ClusterState.nodeDirectory(root: directory, node: node), location(of: node))
        let socket = try await host.controlSocket(endpointIn: directory, of: location, renew: false)
        do {
            return try await controlConnections.ask(command, socket: socket, timeout: timeout)
        } catch let error as RedisError where error.kind == .connect {
            // Nothing was sent: the socket is made anew (forwarded again from a machine) and tried once more.
            let renewed = try await host.controlSocket(endpointIn: directory, of: location, renew: true)
            return try await controlConnections.ask(command, socket: renewed, timeout: timeout)
        }
    }

    /// Where clients reach the endpoint of `node` on `port`: `ADDRESS:PORT`.
    func endpointAddress(of node: ClusterState.Node, port: Int) -> String {
        "\(node.host ?? RedisConnection.loopback):\(port)"
    }

    /// Starts the endpoint of `node` unless it runs; records its port and pid.
    /// - Throws: `BackendError` when it does not come up.
    func startEndpoint(of node: String, in cache: String) async throws {
        guard host.runsEndpoints, let binary = store.state.endpointBinary else { return }
        let record = try store.cache(cache)
        guard let current = record.nodes.first(where: { $0.id == node }) else { return }
        if let hosted = hostedEndpoint(of: current), await host.endpointsRunning([hosted]) == [true] { return }
        let seeds = record.shards.flatMap(\.copies).filter { !store.isOnFailedNode($0, in: cache) }.map(\.address)
        guard !seeds.isEmpty else { return }
        let directory = ClusterState.nodeDirectory(root: self.directory, node: node)
        let location = location(of: node)
        try await host.makeDirectory(directory, on: location)
        // An endpoint that ran before gets its port back, so its clients find it again. On
        // machines of their own, every endpoint of a cache listens on one port, as a managed
        // cache's do: a client told `MOVING` to another machine keeps its port (redis-py does).
        let recorded = current.endpoint?.port
            ?? (current.host == nil ? nil : record.nodes.lazy.filter { $0.host != nil && $0.id != node }.compactMap(\.endpoint?.port).first)
        var started: (port: Int, pid: pid_t)?
        for attempt in 1...5 where started == nil {
            let port = try recorded ?? choosePort()
            do {
                started = (port, try await EndpointProcess.start(on: host, node: location, binary: binary, port: port,
                                                               adopted: current.endpoint?.adoptedPorts ?? [], seeds: seeds,
                                                               directory: directory, password: password, tls: try await tlsFiles(on: node),
                                                               health: (peerEndpoints(of: node, in: record), record.leader == node,
                                                                        (record.endpoints ?? .standard).downAfterMilliseconds)))
            } catch let error as BackendError where error.code == .endpointStartFailed && recorded == nil && attempt < 5 {
                // Someone took the port between our choice and the endpoint's bind: try another.
                logger.debug("the endpoint of \(cache)/\(node) did not start on port \(port), trying another: \(error)")
            }
        }
        guard let (port, pid) = started else {
            throw BackendError(.endpointStartFailed, "the endpoint of \(cache)/\(node) did not start")
        }
        try store.updateCache(cache) { record in
            guard let index = record.nodes.firstIndex(where: { $0.id == node }) else { return }
            record.nodes[index].endpoint = ClusterState.Endpoint(port: port, pid: pid, adoptedPorts: record.nodes[index].endpoint?.adoptedPorts)
        }
        try store.persist()
    }

    /// Stops the endpoint of `node`, if it runs.
    func stopEndpoint(of node: String, in cache: String) async {
        guard let current = try? store.cache(cache).nodes.first(where: { $0.id == node }), let hosted = hostedEndpoint(of: current) else { return }
        await host.stopEndpoint(hosted, grace: .seconds(3))
    }

    /// Starts the endpoints of the live nodes whose endpoint is not running (it died, or the
    /// machine restarted): called when maintctl attaches to the cluster to run or resume.
    public func startMissingEndpoints() async throws {
        SecretHandoff.removeLeftovers(under: directory + "/nodes")
        for cache in store.state.caches {
            let live = cache.nodes.filter { $0.lifecycle == .active || $0.lifecycle == .draining }
            let running = await nodesWithRunningEndpoints(live)
            for node in live where !running.contains(node.id) {
                // One that handed its address on (its node leaves) is not started on it again.
                if node.endpoint?.closesAt != nil { continue }
                logger.info("starting the endpoint of \(cache.id)/\(node.id)")
                try await startEndpoint(of: node.id, in: cache.id)
            }
            await updateEndpointRoles(of: cache.id)
        }
    }

    /// The endpoints (`ADDRESS:PORT`) of the other serving nodes of `record`: they confirm each other's failures.
    private func peerEndpoints(of node: String, in record: ClusterState.Cache) -> [String] {
        record.nodes.filter { $0.id != node && ($0.lifecycle == .active || $0.lifecycle == .draining) }.compactMap { peer in
            peer.endpoint.map { endpointAddress(of: peer, port: $0.port) }
        }
    }

    /// The endpoints that coordinate failovers, in line: the leader node's, then those of the
    /// other live nodes, each standing in while none ahead of it answers (a leader node that
    /// is down or cut off from the others is not waited for). Empty without a live leader.
    private func successionLine(of record: ClusterState.Cache) -> [(node: String, endpoint: String)] {
        let live = record.nodes.filter { ($0.lifecycle == .active || $0.lifecycle == .draining) && $0.endpoint != nil }
        guard let leader = live.first(where: { $0.id == record.leader }) else { return [] }
        return ([leader] + live.filter { $0.id != leader.id }).compactMap { node in
            node.endpoint.map { (node.id, endpointAddress(of: node, port: $0.port)) }
        }
    }

    /// Tells every running endpoint of `cache` its peers and its place in the line that
    /// coordinates failovers (first: the leader's): after nodes came, left, or the leader moved.
    func updateEndpointRoles(of cache: String) async {
        guard let record = try? store.cache(cache) else { return }
        let running = await nodesWithRunningEndpoints(record.nodes.filter { $0.endpoint?.closesAt == nil })
        // Every endpoint at once: on machines each word costs a round trip.
        await withTaskGroup(of: Void.self) { group in
            let line = successionLine(of: record)
            for node in record.nodes where running.contains(node.id) {
                let peers = peerEndpoints(of: node.id, in: record)
                let role: [String]
                switch line.firstIndex(where: { $0.node == node.id }) {
                case 0: role = ["yes"]
                case let place?: role = ["AFTER"] + line[..<place].map(\.endpoint)
                case nil: role = ["no"]
                }
                group.addTask {
                    do {
                        _ = try await self.control(["PEERS"] + peers, endpointOf: node.id)
                        _ = try await self.control(["LEADER"] + role, endpointOf: node.id)
                    } catch {
                        self.logger.warning("the endpoint of \(cache)/\(node.id) did not take its peers and role: \(error)")
                    }
                }
            }
        }
    }

    /// Keeps the endpoints of `cache` from failing primaries over while maintctl's own detector
    /// watches it: a 5 s lease renewed every second (each renewal bounded to 1 s an endpoint)
    /// until the task is cancelled. Should maintctl die, the lease runs out and the endpoints
    /// heal again. An endpoint that handed its address on has no part in the healing (its
    /// role is "no" from then on) and is not asked: `delete_vms` may be stopping it, and a
    /// word to an endpoint that is closing went unanswered for the whole second, which the end
    /// of the maintenance then waited for.
    func pauseEndpointHealing(of cache: String) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            await tellEndpoints(of: cache, ["HEALING", "PAUSE", "5000"], leaving: false, timeout: .seconds(1))
        }
    }

    /// Tells every running endpoint of `cache` to read the slot map now. One that does not
    /// answer is logged, not fatal: endpoints also read the map on their own.
    func reloadEndpoints(of cache: String) async {
        await tellEndpoints(of: cache, ["RELOAD"])
    }

    /// Every node's endpoint, for `cluster status`.
    public func endpointStatus() async -> [NodeEndpointStatus] {
        var statuses: [NodeEndpointStatus] = []
        for cache in store.state.caches {
            let nodes = cache.nodes.filter { $0.lifecycle != .deleted }
            let running = await nodesWithRunningEndpoints(nodes)
            statuses += nodes.map { node in
                NodeEndpointStatus(cache: cache.id, node: node.id, lifecycle: node.lifecycle.rawValue,
                                   endpoint: node.endpoint.map { endpointAddress(of: node, port: $0.port) },
                                   addresses: node.endpoint.map { endpoint in
                                       endpoint.closesAt == nil ? endpoint.ports.map { endpointAddress(of: node, port: $0) } : []
                                   } ?? [],
                                   pid: node.endpoint?.pid, running: running.contains(node.id))
            }
        }
        return statuses
    }
}

/// A node and its endpoint, for `maintctl cluster status`.
public struct NodeEndpointStatus: Sendable, Codable {
    public var cache: String
    public var node: String
    public var lifecycle: String
    /// Where clients connect (`host:port`); nil for a node without an endpoint.
    public var endpoint: String?
    /// Every address it accepts clients on: its own and those it took over from nodes that
    /// left; none once its own node left.
    public var addresses: [String]
    public var pid: Int32?
    /// Whether the endpoint process runs.
    public var running: Bool
}

import Foundation
import MaintenanceKit
import RedisWire

/// Every node runs an endpoint (`maintctl-proxy`): clients connect to any node's endpoint and
/// need not speak Redis Cluster. The backend starts it with the node, stops it with the node,
/// starts it again when it died, and tells it when the slot map changed.
extension ProcessBackend {
    /// Starts the endpoint of `node` unless it runs; records its port and pid.
    /// - Throws: `BackendError` when it does not come up.
    func startEndpoint(of node: String, in cache: String) async throws {
        guard host.runsEndpoints, let binary = store.state.endpointBinary else { return }
        let record = try store.cache(cache)
        if let endpoint = record.nodes.first(where: { $0.id == node })?.endpoint,
           EndpointProcess.isOurs(pid: endpoint.pid, port: endpoint.port) { return }
        let seeds = record.shards.flatMap(\.copies).filter { !store.isOnFailedNode($0, in: cache) }.map(\.port)
        guard !seeds.isEmpty else { return }
        let directory = ClusterState.nodeDirectory(root: self.directory, node: node)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // An endpoint that ran before gets its port back, so its clients find it again.
        let recorded = record.nodes.first(where: { $0.id == node })?.endpoint?.port
        var started: (port: Int, pid: pid_t)?
        for attempt in 1...5 where started == nil {
            let port = try recorded ?? choosePort()
            do {
                let adopted = record.nodes.first(where: { $0.id == node })?.endpoint?.adoptedPorts ?? []
                started = (port, try await EndpointProcess.start(on: host, node: location(of: node), binary: binary, port: port, adopted: adopted, seeds: seeds,
                                                               directory: directory, password: password,
                                                               health: (peerPorts(of: node, in: record), record.leader == node,
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
        guard let endpoint = try? store.cache(cache).nodes.first(where: { $0.id == node })?.endpoint else { return }
        await EndpointProcess.stop(pid: endpoint.pid, port: endpoint.port)
    }

    /// Starts the endpoints of the live nodes whose endpoint is not running (it died, or the
    /// machine restarted): called when maintctl attaches to the cluster to run or resume.
    public func startMissingEndpoints() async throws {
        SecretHandoff.removeLeftovers(under: directory + "/nodes")
        for cache in store.state.caches {
            for node in cache.nodes where node.lifecycle == .active || node.lifecycle == .draining {
                if let endpoint = node.endpoint, EndpointProcess.isOurs(pid: endpoint.pid, port: endpoint.port) { continue }
                // One that handed its address on (its node leaves) is not started on it again.
                if node.endpoint?.closesAt != nil { continue }
                logger.info("starting the endpoint of \(cache.id)/\(node.id)")
                try await startEndpoint(of: node.id, in: cache.id)
            }
            await updateEndpointRoles(of: cache.id)
        }
    }

    /// The endpoints of the other serving nodes of `record`: they confirm each other's failures.
    private func peerPorts(of node: String, in record: ClusterState.Cache) -> [Int] {
        record.nodes.filter { $0.id != node && ($0.lifecycle == .active || $0.lifecycle == .draining) }.compactMap { $0.endpoint?.port }
    }

    /// Tells every running endpoint of `cache` its peers and whether it coordinates failovers
    /// (it runs on the leader): after nodes came, left, or the leader moved.
    func updateEndpointRoles(of cache: String) async {
        guard let record = try? store.cache(cache) else { return }
        let (root, logger) = (directory, self.logger)
        for node in record.nodes {
            guard let endpoint = node.endpoint, endpoint.closesAt == nil, EndpointProcess.isOurs(pid: endpoint.pid, port: endpoint.port) else { continue }
            let control = ClusterState.endpointControl(root: root, node: node.id)
            let peers = peerPorts(of: node.id, in: record).map { "\(RedisConnection.loopback):\($0)" }
            let leader = record.leader == node.id && (node.lifecycle == .active || node.lifecycle == .draining)
            do {
                _ = try await EndpointProcess.control(["PEERS"] + peers, controlSocket: control)
                _ = try await EndpointProcess.control(["LEADER", leader ? "yes" : "no"], controlSocket: control)
            } catch {
                logger.warning("the endpoint of \(cache)/\(node.id) did not take its peers and role: \(error)")
            }
        }
    }

    /// Keeps the endpoints of `cache` from failing primaries over while maintctl's own detector
    /// watches it: a 5 s lease renewed every second (each renewal bounded to 1 s an endpoint)
    /// until the task is cancelled. Should maintctl die, the lease runs out and the endpoints
    /// heal again.
    func pauseEndpointHealing(of cache: String) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            await tellEndpoints(of: cache, ["HEALING", "PAUSE", "5000"], timeout: .seconds(1))
        }
    }

    /// Tells every running endpoint of `cache` to read the slot map now. One that does not
    /// answer is logged, not fatal: endpoints also read the map on their own.
    func reloadEndpoints(of cache: String) async {
        await tellEndpoints(of: cache, ["RELOAD"])
    }

    /// Every node's endpoint, for `cluster status`.
    public func endpointStatus() -> [NodeEndpointStatus] {
        store.state.caches.flatMap { cache in
            cache.nodes.filter { $0.lifecycle != .deleted }.map { node in
                NodeEndpointStatus(cache: cache.id, node: node.id, lifecycle: node.lifecycle.rawValue,
                               endpoint: node.endpoint.map { "127.0.0.1:\($0.port)" },
                               addresses: node.endpoint.map { $0.closesAt == nil ? $0.ports.map { "127.0.0.1:\($0)" } : [] } ?? [],
                               pid: node.endpoint?.pid,
                               running: node.endpoint.map { EndpointProcess.isOurs(pid: $0.pid, port: $0.port) } ?? false)
            }
        }
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

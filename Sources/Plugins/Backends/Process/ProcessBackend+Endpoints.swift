import Foundation
import MaintenanceKit

/// Every node runs an endpoint (`maintctl-proxy`): clients connect to any node's endpoint and
/// need not speak Redis Cluster. The backend starts it with the node, stops it with the node,
/// starts it again when it died, and tells it when the slot map changed.
extension ProcessBackend {
    /// Starts the endpoint of `node` unless it runs; records its port and pid.
    /// - Throws: `BackendError` when it does not come up.
    func startEndpoint(of node: String, in cache: String) async throws {
        guard let binary = store.state.endpointBinary else { return }
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
                started = (port, try await EndpointProcess.start(on: host, node: node, binary: binary, port: port, seeds: seeds, directory: directory,
                                                               password: password))
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
            record.nodes[index].endpoint = ClusterState.Endpoint(port: port, pid: pid)
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
                logger.info("starting the endpoint of \(cache.id)/\(node.id)")
                try await startEndpoint(of: node.id, in: cache.id)
            }
        }
    }

    /// Tells every running endpoint of `cache` to read the slot map now. One that does not
    /// answer is logged, not fatal: endpoints also read the map on their own.
    func reloadEndpoints(of cache: String) async {
        guard let record = try? store.cache(cache) else { return }
        let running = record.nodes.filter { node in node.endpoint.map { EndpointProcess.isOurs(pid: $0.pid, port: $0.port) } ?? false }
        let (root, logger) = (directory, self.logger)
        // Side by side, each bounded: a stalled endpoint delays no other, nor the caller long.
        await withTaskGroup(of: Void.self) { group in
            for node in running {
                group.addTask {
                    do {
                        try await EndpointProcess.reload(controlSocket: ClusterState.endpointControl(root: root, node: node.id))
                    } catch {
                        logger.warning("the endpoint of \(cache)/\(node.id) did not reload its slot map: \(error)")
                    }
                }
            }
        }
    }

    /// Every node's endpoint, for `cluster status`.
    public func endpointStatus() -> [NodeEndpointStatus] {
        store.state.caches.flatMap { cache in
            cache.nodes.filter { $0.lifecycle != .deleted }.map { node in
                NodeEndpointStatus(cache: cache.id, node: node.id, lifecycle: node.lifecycle.rawValue,
                               endpoint: node.endpoint.map { "127.0.0.1:\($0.port)" },
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
    public var pid: Int32?
    /// Whether the endpoint process runs.
    public var running: Bool
}

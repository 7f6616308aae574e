import Foundation
import MaintenanceKit

extension ProcessBackend {
    /// Provisions the nodes side by side, as a cloud creates VMs; each one is recorded as
    /// soon as it is up. Nodes that exist (and are not deleted) are left as they are.
    /// - Throws: `BackendError` for an unknown cache, a version nothing runs, or the first
    ///   node that could not be provisioned (the others are still recorded).
    public func createNodes(_ nodes: [NodeSpec], in cache: String) async throws {
        let existing = try store.cache(cache).nodes
        let new = nodes.filter { node in !existing.contains(where: { $0.id == node.id && $0.lifecycle != .deleted }) }
        for node in new { try await host.check(version: node.version, runnable: store.state.runnable(for: node.version)) }
        // Recorded as each is up: a crash of maintctl then leaves no node the state does not
        // know but those still being made, which `cluster down` finds by their label.
        let (host, root, runnables) = (self.host, directory, store.state.binaries)
        let taken = takenAddresses()
        var failure: (any Error)?
        await Self.concurrently(new) { node in
            try await host.provision(node, runnable: ClusterState.runnable(for: node.version, in: runnables),
                                     directory: ClusterState.nodeDirectory(root: root, node: node.id), current: nil, taken: taken)
        } whenDone: { node, result in
            let address: String?
            switch result {
            case .success(let provisioned): address = provisioned
            case .failure(let error):
                failure = failure ?? error
                return
            }
            do {
                try store.updateCache(cache) { record in
                    // The id of a deleted VM may name a new one.
                    record.nodes.removeAll { $0.id == node.id }
                    record.nodes.append(ClusterState.Node(id: node.id, version: node.version, capacity: node.capacity, lifecycle: .active,
                                                          host: address))
                }
                try store.persist()
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        // Copies asked for ahead start while the endpoints do: their handshakes with the
        // cluster run on meanwhile.
        let preparations = new.compactMap { node in preparationsForNewNodes[cache]?.removeValue(forKey: node.id).map { (node.id, $0) } }
        async let prepared: Void = prepare(preparations, in: cache)
        // Side by side; each waits until it serves. Every start runs to its end (one that failed
        // stops its process), and the peers each endpoint was started with are brought up to
        // date after.
        await Self.concurrently(new) { node in
            try await self.startEndpoint(of: node.id, in: cache)
        } whenDone: { _, result in
            if case let .failure(error) = result { failure = failure ?? error }
        }
        await prepared
        await updateEndpointRoles(of: cache)
        if let failure { throw failure }
    }

    /// Prepares the copies asked for on each node (``prepareCopies(of:on:in:)``).
    private func prepare(_ preparations: [(node: String, shards: [String])], in cache: String) async {
        for (node, shards) in preparations { await prepareCopies(of: shards, on: node, in: cache) }
    }

    /// Makes `node` the cache's leader.
    /// - Throws: `BackendError` unless it is an active node of the cache.
    public func electLeader(_ node: String, in cache: String) async throws {
        try store.updateCache(cache) { record in
            guard record.nodes.contains(where: { $0.id == node && $0.lifecycle == .active }) else {
                throw BackendError(.nodeNotActive, "cannot make '\(node)' leader of '\(cache)': it is not an active node")
            }
            record.leader = node
        }
        try store.persist()
        await updateEndpointRoles(of: cache)
    }

    /// Marks `node` draining: no new copies go there.
    /// - Throws: `BackendError` for an unknown cache or node.
    public func drainNode(_ node: String, in cache: String) async throws {
        try setLifecycle(.draining, of: node, in: cache)
    }

    /// Takes `node` out of the cache.
    /// - Throws: `InvariantViolation` 4 or 6 when it still holds a copy or is the leader.
    public func removeNode(_ node: String, in cache: String) async throws {
        try refuseIfHoldingCopies(node, in: cache, doing: "remove")
        try await handOffEndpoint(of: node, in: cache)
        try setLifecycle(.removed, of: node, in: cache)
        await updateEndpointRoles(of: cache)
        // Its endpoint, which serves its last clients until it closes, takes no part in the
        // healing any more (the roles above go to the endpoints that stay): nor does its lease.
        do {
            _ = try await control(["LEADER", "no"], endpointOf: node, timeout: .seconds(1))
        } catch {
            logger.debug("the endpoint of \(cache)/\(node), leaving, did not take its role: \(error)")
        }
    }

    /// Provisions `node` again (as it was) and makes it active.
    /// - Throws: `BackendError` when the node is deleted or cannot be provisioned.
    public func restoreNode(_ node: String, in cache: String) async throws {
        guard let current = try store.cache(cache).nodes.first(where: { $0.id == node }), current.lifecycle != .deleted else {
            throw BackendError(.nodeDeleted, "cannot restore '\(node)' of '\(cache)': it is deleted")
        }
        _ = try await host.provision(NodeSpec(id: node, version: current.version, capacity: current.capacity),
                                     runnable: store.state.runnable(for: current.version), directory: ClusterState.nodeDirectory(root: directory, node: node),
                                     current: location(of: node), taken: [])
        try setLifecycle(.active, of: node, in: cache)
        if let endpoint = current.endpoint, endpoint.closesAt != nil {
            // Its endpoint handed its address on when the node left: it gets a new one.
            await stopEndpoint(of: node, in: cache)
            try store.updateCache(cache) { record in
                if let index = record.nodes.firstIndex(where: { $0.id == node }) { record.nodes[index].endpoint = nil }
            }
            try store.persist()
        }
        try await startEndpoint(of: node, in: cache)
        await updateEndpointRoles(of: cache)
    }

    /// Deletes the nodes side by side; each one that is gone is recorded even when another fails.
    /// - Throws: `InvariantViolation` 4 or 6 before anything is deleted when one still holds a
    ///   copy or is the leader; `BackendError` for the first node that could not be deleted.
    public func deleteNodes(_ nodes: [String], in cache: String) async throws {
        for node in nodes { try refuseIfHoldingCopies(node, in: cache, doing: "delete") }
        var phases = PhaseTimer()
        // Clients told `MOVING` get the grace they were promised (less when they all left).
        await withTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { await self.waitForClientsToLeave(node, in: cache) } }
        }
        phases.lap("clients gone")
        await withTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { await self.stopEndpoint(of: node, in: cache) } }
        }
        phases.lap("endpoints stopped")
        let (host, root) = (self.host, directory)
        var failure: (any Error)?
        await Self.concurrently(nodes.map(location(of:))) { node in
            try await host.delete(node, directory: ClusterState.nodeDirectory(root: root, node: node.id))
        } whenDone: { node, result in
            do {
                try result.get()
                try setLifecycle(.deleted, of: node.id, in: cache)
            } catch {
                failure = failure ?? error
            }
        }
        phases.lap("deleted")
        logger.debug("nodes \(nodes.joined(separator: ", ")) of \(cache) deleted: \(phases.description)")
        if let failure { throw failure }
    }

    /// Runs `body` on every item side by side and, on the caller's actor, `whenDone` with each
    /// item and what it returned or threw, as each finishes.
    static func concurrently<Item: Sendable, Output: Sendable>(_ items: [Item], isolation: isolated (any Actor)? = #isolation,
                                                               _ body: @escaping @Sendable (Item) async throws -> Output,
                                                               whenDone: (Item, Result<Output, any Error>) -> Void) async {
        await withTaskGroup(of: (Item, Result<Output, any Error>).self, isolation: isolation) { group in
            for item in items {
                group.addTask {
                    do {
                        return (item, .success(try await body(item)))
                    } catch {
                        return (item, .failure(error))
                    }
                }
            }
            for await (item, result) in group { whenDone(item, result) }
        }
    }

    /// Records where the host provisioned the cache's nodes: their machines' addresses.
    func place(_ addresses: [String: String], in cache: String) throws {
        for (node, address) in addresses { try store.updateNode(node, in: cache) { $0.host = address } }
        try store.persist()
    }

    /// The addresses of the machines of every node not deleted: a new node must not take one.
    func takenAddresses() -> Set<String> {
        Set(store.state.caches.flatMap(\.nodes).filter { $0.lifecycle != .deleted }.compactMap(\.host))
    }

    private func refuseIfHoldingCopies(_ node: String, in cache: String, doing verb: String) throws {
        let record = try store.cache(cache)
        if let shard = record.shards.first(where: { $0.copies.contains { $0.node == node } }) {
            throw InvariantViolation(4, cache: cache, "refused to \(verb) node '\(node)': it still holds a copy of shard '\(shard.id)'")
        }
        if record.leader == node {
            throw InvariantViolation(6, cache: cache, "refused to \(verb) node '\(node)': it is the cluster leader")
        }
    }

    private func setLifecycle(_ lifecycle: NodeLifecycle, of node: String, in cache: String) throws {
        try store.setLifecycle(lifecycle, of: node, in: cache)
        try store.persist()
    }
}

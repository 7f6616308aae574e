import Foundation
import Logging
import MaintenanceKit
import RedisWire

extension ProcessBackend {
    /// Starts a Redis Cluster for each cache of `inventory` in `directory` and returns when
    /// every cluster reports `cluster_state:ok` and every replica is linked to its primary.
    /// - Parameters:
    ///   - inventory: Caches, nodes and shards to start.
    ///   - directory: The state directory; it must not hold a cluster already.
    ///   - binaries: What runs each version (`default` for the others): a `redis-server`
    ///     binary for local processes, an image for containers.
    ///   - host: Where the nodes live and their servers run.
    ///   - choosePort: Picks the loopback ports of the servers it starts.
    ///   - logger: Where the backend logs.
    /// - Throws: `BackendError`; whatever was started is stopped again before it throws.
    public static func up(_ inventory: Inventory, in directory: String, binaries: [String: String],
                          host: any ServerHost = LocalProcessHost(), choosePort: @escaping PortChooser = FreePort.find,
                          logger: Logger) async throws -> ProcessBackend {
        let directory = absolute(directory)
        try refuseExistingCluster(in: directory)
        let references = Set(inventory.caches.map(\.password))
        guard references.count <= 1 else {
            throw BackendError(.clusterUpFailed, "the caches of one cluster state share one password reference (or none); give each its own --state")
        }
        let reference = references.first ?? nil
        let password = try readPassword(reference)
        let tlsSettings = Set(inventory.caches.map(\.tls))
        guard tlsSettings.count <= 1 else {
            throw BackendError(.clusterUpFailed, "the caches of one cluster state share one tls (or none); give each its own --state")
        }
        // Paths as the inventory gives them, made absolute: every later command reads them again.
        let tlsFiles = (tlsSettings.first ?? nil).map { files in
            TLSFiles(caFile: absolute(files.caFile), certFile: absolute(files.certFile), keyFile: absolute(files.keyFile))
        }
        let tls = try loadTLS(tlsFiles)
        var state = ClusterState(binaries: binaries, host: host.record, caches: [], endpointBinary: try EndpointProcess.locate(), password: reference)
        state.tls = tlsFiles
        for version in Set(inventory.caches.flatMap { $0.nodes.map(\.version) }).sorted() {
            try await host.check(version: version, runnable: state.runnable(for: version))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = try StateDirectoryLock(directory: directory, command: "cluster up")
        try refuseExistingCluster(in: directory)
        let caches = inventory.caches.map { cache in
            ClusterState.Cache(
                id: cache.id, placement: cache.placement, leader: cache.leader, minReplicas: cache.minReplicas,
                nodes: cache.nodes.map { ClusterState.Node(id: $0.id, version: $0.version, capacity: $0.capacity, lifecycle: .active) },
                shards: cache.shards.enumerated().map { index, shard in
                    ClusterState.Shard(id: shard.id, sizeMB: shard.sizeMB, firstSlot: index * 16384 / cache.shards.count,
                                       lastSlot: (index + 1) * 16384 / cache.shards.count - 1, copies: [])
                },
                endpoints: cache.endpoints)
        }
        state.caches = caches
        let backend = ProcessBackend(directory: directory, state: state, host: host, password: password, tls: tls, logger: logger, choosePort: choosePort,
                                     lock: lock)
        do {
            try ClusterStateStore(directory: directory, state: state).persist()
            for cache in inventory.caches {
                let runnables = state.binaries
                let taken = await backend.takenAddresses()
                var failure: (any Error)?
                var addresses: [String: String] = [:]
                await concurrently(cache.nodes) { node in
                    try await host.provision(node, runnable: ClusterState.runnable(for: node.version, in: runnables),
                                             directory: ClusterState.nodeDirectory(root: directory, node: node.id), current: nil, taken: taken)
                } whenDone: { node, result in
                    switch result {
                    case .success(let address): addresses[node.id] = address
                    case .failure(let error): failure = failure ?? error
                    }
                }
                if let failure { throw failure }
                try await backend.place(addresses, in: cache.id)
                try await backend.form(cache)
                for node in cache.nodes { try await backend.startEndpoint(of: node.id, in: cache.id) }
                await backend.updateEndpointRoles(of: cache.id)
            }
        } catch {
            do {
                try await backend.down()
            } catch let cleanup {
                throw BackendError((error as? BackendError)?.code ?? .clusterUpFailed,
                                   "\(error); removing what was started failed too (\(cleanup)): "
                                   + "run maintctl cluster down --state \(directory) once that is mended")
            }
            throw error
        }
        return backend
    }

    /// Starts the copies of one cache and joins them into one Redis Cluster.
    private func form(_ spec: CacheSpec) async throws {
        let version = { (node: String) in spec.nodes.first { $0.id == node }?.version ?? "" }
        for shard in spec.shards {
            for node in [shard.primary] + shard.replicas {
                let copy = try await startCopy(shard: shard.id, node: node, version: version(node))
                try store.addCopy(copy, to: shard.id, in: spec.id)
                try store.persist()
            }
        }
        let shards = try store.cache(spec.id).shards
        let copies = shards.flatMap(\.copies)
        guard let first = copies.first else { return }
        // Distinct config epochs before the servers meet, as `redis-cli --cluster create` does.
        // Left at 0, they settle their collisions by gossip for seconds; a replica promoted by
        // TAKEOVER meanwhile may take an epoch its dead primary already holds, and that primary
        // wins its slots back when it returns (seen with a paused primary).
        for (index, copy) in copies.enumerated() {
            try await driver.run(copy.address, "CLUSTER", "SET-CONFIG-EPOCH", "\(index + 1)")
        }
        for copy in copies.dropFirst() {
            try await driver.meet(copy.address, first)
        }
        for shard in shards {
            guard let primary = shard.copies.first else { continue }
            try await driver.run(primary.address, "CLUSTER", "ADDSLOTSRANGE", "\(shard.firstSlot)", "\(shard.lastSlot)")
        }
        let everyone = Set(copies.map(\.redisID))
        try await Polling.waitUntil("every server of '\(spec.id)' to know every other", limit: .seconds(30), interval: .milliseconds(50)) {
            for copy in copies where try await self.driver.knownNodeIDs(copy.address) != everyone { return false }
            // …and every server has heard of the highest epoch, and of every slot's owner (with
            // `cluster-require-full-coverage no`, `cluster_state:ok` does not say so: a server
            // that has not heard from one primary yet would answer its slots `CLUSTERDOWN`).
            for copy in copies {
                let info = try await self.driver.clusterInfo(copy.address)
                guard info["cluster_current_epoch"] == String(copies.count), info["cluster_slots_assigned"] == "16384" else { return false }
            }
            return true
        }
        for shard in shards {
            guard let primary = shard.copies.first else { continue }
            for replica in shard.copies.dropFirst() { try await driver.replicate(replica, of: primary) }
        }
        try await waitUntilHealthy(cache: spec.id)
    }

    /// Refuses a directory that holds a cluster's state already (checked again once its lock is
    /// held: another `cluster up` may have written it meanwhile).
    static func refuseExistingCluster(in directory: String) throws {
        if FileManager.default.fileExists(atPath: directory + "/" + ClusterState.fileName) {
            throw BackendError(.clusterExists, "'\(directory)' already holds a cluster; stop it with: maintctl cluster down --state \(directory)")
        }
    }

    /// Waits until every server of the cache reports `cluster_state:ok` and every replica's
    /// link is up; the copies of nodes declared down are lost, copies not attached yet serve
    /// nothing, and copies in their first sync are waited for by their own move: none of them
    /// is waited for.
    func waitUntilHealthy(cache: String) async throws {
        let shards = try store.cache(cache).shards
        let driver = self.driver
        try await Polling.waitUntil("cache '\(cache)' to report cluster_state:ok with all replicas linked",
                                    limit: .seconds(60), interval: .milliseconds(10)) {
            let copies = shards.flatMap(\.copies).filter {
                !self.store.isOnFailedNode($0, in: cache) && !self.unattached.contains($0.redisID) && !self.firstSyncs.contains($0.redisID)
            }
            return await Concurrently.all(copies) { copy in
                // Both questions in one round trip: they share the server's connection.
                async let replication = try? driver.replication(copy.address)
                guard (try? await driver.clusterStateOK(copy.address)) == true, let info = await replication else { return false }
                return info.isPrimary || info.linkUp
            }
        }
    }

    /// Stops every process of the cluster, deletes its nodes and removes what `up` (or
    /// `adopt`) wrote. Afterwards no process of the cluster remains but the adopted servers
    /// (`adoptedToo` false): they serve on as before maintctl adopted them, without endpoints.
    /// - Throws: `BackendError` when the host could not delete every node (a container engine
    ///   that does not answer); the state stays, so `down` can be run again.
    public func down(adoptedToo: Bool = false) async throws {
        await stopFailureDetectors()
        for cache in store.state.caches {
            for node in cache.nodes { await stopEndpoint(of: node.id, in: cache.id) }
        }
        // Endpoints the state does not know: started just before a crash of maintctl.
        await host.stopEndpoints(under: directory + "/nodes", on: store.state.caches.flatMap(\.nodes).filter { $0.lifecycle != .deleted }.map {
            NodeLocation(id: $0.id, address: $0.host)
        })
        SecretHandoff.removeLeftovers(under: directory + "/nodes")
        // Every paused server runs again, whoever paused it: a stopped process handles no SIGTERM.
        await endPauses { _ in true }
        await resumeAllPauses()
        // …and no machine stays cut off or slowed.
        for node in store.state.caches.flatMap(\.nodes) where node.host != nil && node.lifecycle != .deleted {
            await host.healNetwork(NodeLocation(id: node.id, address: node.host))
        }
        for cache in store.state.caches {
            for shard in cache.shards {
                for copy in shard.copies where adoptedToo || copy.adopted != true { await shutDown(copy) }
            }
        }
        await close()
        // Nodes and servers the state does not know: started just before a crash of maintctl.
        try await host.deleteAll(under: directory + "/nodes", nodes: store.state.caches.flatMap(\.nodes).filter { $0.lifecycle != .deleted }
            .map { NodeLocation(id: $0.id, address: $0.host) })
        try? FileManager.default.removeItem(atPath: directory + "/nodes")
        try? FileManager.default.removeItem(atPath: directory + "/" + ClusterState.fileName)
        try? FileManager.default.removeItem(atPath: directory + "/" + StateDirectoryLock.fileName)
        try? FileManager.default.removeItem(atPath: directory) // only when it is empty now
    }

    /// The live topology of every cache, with each copy's port, pid and replication offset.
    public func status() async -> [CopyStatus] {
        var rows: [CopyStatus] = []
        for cache in store.state.caches {
            for shard in cache.shards {
                for copy in shard.copies {
                    let version = cache.nodes.first { $0.id == copy.node }?.version ?? "?"
                    // A dead or paused server is not asked: it would only time out.
                    let condition = await conditions(of: [copy]).first ?? .gone
                    guard condition == .running else {
                        rows.append(CopyStatus(
                            cache: cache.id, node: copy.node, version: version, shard: shard.id, role: condition == .stopped ? "paused" : "down",
                            host: copy.address.host, port: copy.port, pid: copy.pid, offset: -1, healthy: false,
                            slots: "\(shard.firstSlot)-\(shard.lastSlot)"))
                        continue
                    }
                    let reading = await ServerReading.read(copy.address, driver: driver)
                    let role = reading.replication.map { $0.isPrimary ? (reading.serving ? "primary" : "unattached") : "replica" } ?? "down"
                    rows.append(CopyStatus(
                        cache: cache.id, node: copy.node, version: version, shard: shard.id,
                        role: role, host: copy.address.host, port: copy.port, pid: copy.pid, offset: reading.replication?.offset ?? -1,
                        healthy: reading.inSync, slots: "\(shard.firstSlot)-\(shard.lastSlot)"))
                }
            }
        }
        return rows
    }

    /// The caches as the live cluster has them now, as an inventory to plan against: each
    /// shard's size is the data its primary holds now (`used_memory_dataset`), so that sync times
    /// are predicted from the data there is, not the inventory's estimate.
    public func currentInventory() async throws -> Inventory {
        var caches: [CacheSpec] = []
        for cache in store.state.caches {
            let topology = try await topology(of: cache.id)
            let live = topology.liveNodes
            var shards: [ShardSpec] = []
            for shard in topology.shards {
                var measured: Double?
                if let primary = try? await primaryCopy(of: shard.id, in: cache.id) {
                    measured = try? await driver.datasetMegabytes(primary.address)
                }
                shards.append(ShardSpec(id: shard.id, primary: shard.primaryNode ?? shard.copies.first?.node ?? "",
                                        replicas: shard.copies.filter { $0.role == .replica }.map(\.node), sizeMB: measured ?? shard.sizeMB))
            }
            caches.append(CacheSpec(
                id: cache.id, resourceGroup: cache.placement.resourceGroup, region: cache.placement.region,
                leader: topology.leader ?? live.first?.id ?? "", minReplicas: cache.minReplicas,
                nodes: live.map { NodeSpec(id: $0.id, version: $0.version, capacity: $0.capacity) },
                shards: shards, password: store.state.password))
        }
        return Inventory(caches: caches)
    }
}

/// One shard copy of a live cluster, for `maintctl cluster status`.
public struct CopyStatus: Sendable, Codable {
    public var cache: String
    public var node: String
    public var version: String
    public var shard: String
    public var role: String
    /// The address of the node's machine the server listens on.
    public var host: String
    public var port: Int
    public var pid: Int32
    public var offset: Int64
    public var healthy: Bool
    public var slots: String
}

/// Where clients reach the cluster, for the probe.
extension ProcessBackend: ClientReachable {
    /// Every shard as `cache/shard` with the slots it owns, for a client probe.
    public func shardSlots() -> [(name: String, slots: ClosedRange<Int>)] {
        store.state.caches.flatMap { cache in cache.shards.map { ("\(cache.id)/\($0.id)", $0.firstSlot...$0.lastSlot) } }
    }

    /// Reads the cluster's state file again, for a process that watches a cluster another
    /// process changes (`maintctl probe` during a rollout).
    public func reloadState() throws {
        try store.reload()
    }

    /// The password clients give the servers; nil when they require none.
    public func clientPassword() -> String? { password }
    /// The TLS files clients use with the servers; nil for plain TCP.
    public func clientTLS() -> TLSFiles? { store.state.tls }

    /// The address of every server, to learn the slot map from.
    public func serverAddresses() -> [(host: String, port: Int)] {
        store.state.caches.flatMap { $0.shards.flatMap { $0.copies.map { ($0.address.host, $0.port) } } }
    }
}

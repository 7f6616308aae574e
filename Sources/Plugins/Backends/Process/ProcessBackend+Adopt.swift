import Foundation
import Logging
import MaintenanceKit
import RedisWire

/// How `cluster adopt` groups the servers of a cluster it did not make into nodes (VMs).
public enum NodeGrouping: String, Sendable, CaseIterable {
    /// Servers working in one directory form a node.
    case directory
    /// Servers whose working directories share a parent form a node (`/srv/host-a/7000`,
    /// `/srv/host-a/7003`: node `host-a`).
    case parent
    /// Every server is a node of its own.
    case server
    /// Servers on one machine (one announced address) form a node: for machines reached over SSH.
    case machine
}

/// What `cluster adopt` needs besides the running cluster.
public struct AdoptionRequest: Sendable {
    /// One server of the cluster: on loopback for local processes, at its machine's address for machines.
    public var seed: ServerAddress
    /// The id the cache gets, with its resource group and region.
    public var cache: String
    public var resourceGroup: String
    public var region: String
    public var grouping: NodeGrouping
    /// What runs each version (`default` for the others), over the binaries the servers run.
    public var binaries: [String: String]
    /// Where the servers' password is, when they require one.
    public var password: SecretReference?

    public init(seed: ServerAddress, cache: String = "adopted", resourceGroup: String = "adopted", region: String = "local",
                grouping: NodeGrouping = .directory, binaries: [String: String] = [:], password: SecretReference? = nil) {
        self.seed = seed
        self.cache = cache
        self.resourceGroup = resourceGroup
        self.region = region
        self.grouping = grouping
        self.binaries = binaries
        self.password = password
    }
}

extension ProcessBackend {
    /// Takes over a running Redis Cluster that maintctl did not start: reads it
    /// (``ClusterSurvey``), groups its servers into nodes, writes the state that `run`,
    /// `status`, `probe` and `cluster down` use, and starts an endpoint per node where the host
    /// runs them. The servers are not touched: they serve on as they did.
    /// - Parameter host: Where the servers run: this machine's processes, or machines (each
    ///   node's address is its servers' announced address).
    /// - Returns: The backend, and the cluster as an inventory a person can read and edit.
    /// - Throws: `BackendError` `adopt-refused` saying what makes the cluster one maintctl
    ///   cannot drive (nothing is written then), or what failed; whatever was started is stopped.
    public static func adopt(_ request: AdoptionRequest, host: any ServerHost = LocalProcessHost(), in directory: String,
                             logger: Logger) async throws -> (backend: ProcessBackend, inventory: Inventory) {
        let directory = absolute(directory)
        try refuseExistingCluster(in: directory)
        guard InventoryLoader.isIdentifier(request.cache) else {
            throw BackendError(.adoptRefused, "'\(request.cache.forMessage)' cannot name a cache (letters, digits, '-', '_', '.')")
        }
        let password = try readPassword(request.password)
        let survey = try await ClusterSurvey.read(seed: request.seed, password: password, host: host)
        let nodes = try nodeNames(of: survey, grouping: request.grouping)
        let cache = try cacheRecord(request, survey: survey, nodes: nodes, onMachines: host.record.machines != nil)
        var binaries: [String: String] = [:]
        for server in survey.shards.flatMap({ [$0.primary] + $0.replicas }) where binaries[server.version] == nil {
            binaries[server.version] = server.executable
        }
        binaries["default"] = binaries[survey.shards[0].primary.version]
        binaries.merge(request.binaries) { $1 }
        let state = ClusterState(binaries: binaries, host: host.record, caches: [cache], endpointBinary: try EndpointProcess.locate(),
                                 password: request.password)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = try StateDirectoryLock(directory: directory, command: "cluster adopt")
        try refuseExistingCluster(in: directory)
        let backend = ProcessBackend(directory: directory, state: state, host: host, password: password, logger: logger, choosePort: FreePort.find,
                                     lock: lock)
        do {
            try ClusterStateStore(directory: directory, state: state).persist()
            for node in cache.nodes {
                try await host.makeDirectory(ClusterState.nodeDirectory(root: directory, node: node.id), on: NodeLocation(id: node.id, address: node.host))
                try await backend.startEndpoint(of: node.id, in: cache.id)
            }
            await backend.updateEndpointRoles(of: cache.id)
        } catch {
            try? await backend.down(adoptedToo: false)
            throw error
        }
        logger.info("adopted cache \(cache.id): \(cache.nodes.count) nodes, \(cache.shards.count) shards, \(cache.shards.flatMap(\.copies).count) servers")
        return (backend, Inventory(caches: [inventorySpec(of: cache, request: request, machines: host.record.machines)]))
    }

    /// The addresses the servers of the cluster of `seed` announce, each once, in the order
    /// the cluster lists them: the machines a host of machines must reach to adopt it.
    /// - Throws: `BackendError` when the password cannot be read or `seed` is no cluster server.
    public static func announcedAddresses(seed: ServerAddress, password reference: SecretReference?) async throws -> [String] {
        var addresses: [String] = []
        for entry in try await ClusterSurvey.entries(seed: seed, password: try readPassword(reference)) where !addresses.contains(entry.host) {
            addresses.append(entry.host)
        }
        return addresses
    }

    /// The node each server belongs to, by its id.
    private static func nodeNames(of survey: ClusterSurvey, grouping: NodeGrouping) throws -> [String: String] {
        let servers = survey.shards.flatMap { [$0.primary] + $0.replicas }
        let key = { (server: ClusterSurvey.Server) -> String in
            switch grouping {
            case .directory: server.directory
            case .parent: URL(fileURLWithPath: server.directory).deletingLastPathComponent().path
            case .server: "\(server.entry.host):\(server.entry.port)"
            case .machine: server.entry.host
            }
        }
        // Groups in the order of their lowest port; named after their directory when it can name a node.
        let groups = Dictionary(grouping: servers, by: key).sorted { lhs, rhs in
            (lhs.value.map(\.entry.port).min() ?? 0) < (rhs.value.map(\.entry.port).min() ?? 0)
        }
        var names: [String: String] = [:]
        var taken: Set<String> = []
        for (index, group) in groups.enumerated() {
            let base = switch grouping {
            case .server: "node-\(group.value[0].entry.port)"
            case .machine: "node-\(group.key)"
            case .directory, .parent: URL(fileURLWithPath: group.key).lastPathComponent
            }
            let name = InventoryLoader.isIdentifier(base) && !taken.contains(base) ? base : "node-\(index + 1)"
            taken.insert(name)
            for server in group.value { names[server.entry.id] = name }
        }
        for shard in survey.shards {
            let homes = ([shard.primary] + shard.replicas).map { names[$0.entry.id]! }
            if Set(homes).count < homes.count {
                throw BackendError(.adoptRefused, "two servers of the shard of slots \(shard.slots.lowerBound)-\(shard.slots.upperBound) would be on one node "
                                   + "(grouped by \(grouping.rawValue)): a node holds one copy of a shard; try --group-by \(grouping == .parent ? "directory" : "server")")
            }
        }
        return names
    }

    private static func cacheRecord(_ request: AdoptionRequest, survey: ClusterSurvey, nodes names: [String: String],
                                    onMachines: Bool) throws -> ClusterState.Cache {
        let servers = survey.shards.flatMap { [$0.primary] + $0.replicas }
        let capacity = Capacity(memoryMB: machineMemoryMB(), cpus: Double(ProcessInfo.processInfo.activeProcessorCount))
        var nodes: [ClusterState.Node] = []
        for name in Set(names.values).sorted(by: { lhs, rhs in
            servers.first { names[$0.entry.id] == lhs }!.entry.port < servers.first { names[$0.entry.id] == rhs }!.entry.port
        }) {
            let versions = Set(servers.filter { names[$0.entry.id] == name }.map(\.version))
            guard versions.count == 1, let version = versions.first else {
                throw BackendError(.adoptRefused, "the servers of node '\(name)' run different versions (\(versions.sorted().joined(separator: ", "))); group them otherwise with --group-by")
            }
            let machine = onMachines ? servers.first { names[$0.entry.id] == name }?.entry.host : nil
            nodes.append(ClusterState.Node(id: name, version: version, capacity: capacity, lifecycle: .active, adopted: true, host: machine))
        }
        let shards = survey.shards.enumerated().map { index, shard in
            ClusterState.Shard(id: "s\(index + 1)", sizeMB: shard.primary.datasetMB, firstSlot: shard.slots.lowerBound, lastSlot: shard.slots.upperBound,
                               copies: ([shard.primary] + shard.replicas).map { server in
                                   ClusterState.Copy(node: names[server.entry.id]!, port: server.entry.port, busPort: server.entry.busPort,
                                                     pid: server.pid, redisID: server.entry.id, adopted: true,
                                                     host: onMachines ? server.entry.host : nil)
                               })
        }
        // The leader: the node that holds the most primaries (the first of them).
        let primaries = Dictionary(grouping: survey.shards, by: { names[$0.primary.entry.id]! }).mapValues(\.count)
        let leader = nodes.map(\.id).max { (primaries[$0] ?? 0) < (primaries[$1] ?? 0) }
        return ClusterState.Cache(id: request.cache, placement: Placement(resourceGroup: request.resourceGroup, region: request.region),
                                  leader: leader, minReplicas: survey.shards.map(\.replicas.count).min() ?? 0,
                                  nodes: nodes, shards: shards, endpoints: .standard)
    }

    /// The cache as an inventory describes it; on machines, with each node's machine and the spare ones.
    private static func inventorySpec(of cache: ClusterState.Cache, request: AdoptionRequest, machines: [SpareHost]?) -> CacheSpec {
        let login = { (address: String?) in machines?.first { $0.host == address }?.ssh }
        let spares = machines?.filter { machine in !cache.nodes.contains { $0.host == machine.host } }
        return CacheSpec(id: cache.id, resourceGroup: request.resourceGroup, region: request.region, leader: cache.leader ?? cache.nodes[0].id,
                  minReplicas: cache.minReplicas,
                  nodes: cache.nodes.map { NodeSpec(id: $0.id, version: $0.version, capacity: $0.capacity, host: $0.host, ssh: login($0.host)) },
                  shards: cache.shards.map { shard in
                      ShardSpec(id: shard.id, primary: shard.copies[0].node, replicas: shard.copies.dropFirst().map(\.node),
                                sizeMB: max(1, shard.sizeMB.rounded(.up)))
                  },
                  password: request.password, spareHosts: spares.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// This machine's memory in MB (`MemTotal`), the capacity of each adopted node: they share it.
    private static func machineMemoryMB() -> Double {
        let text = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("MemTotal:") } ?? ""
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") ?? 1_048_576
        return (kilobytes / 1024).rounded(.down)
    }
}

import ContainerBackend
import Foundation
import Logging
import MaintenanceKit
import Plugins
import ProcessBackend
import RedisWire

/// A live cluster of local-cluster.yaml in a temporary state directory, always torn down:
/// local `redis-server` processes, or one container per node. Shared by the process and
/// container backends' tests, which run the same checks on both.
public struct LiveCluster: Sendable {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    public static let registry = try! PluginRegistry(steps: BuiltinPlugins.all)

    /// Memory-backed when the machine has it: the servers' fsyncs (Redis Cluster saves its
    /// nodes.conf) then never wait behind other tests' disk writes.
    public static let scratch: String = access("/dev/shm", W_OK) == 0 ? "/dev/shm/" : NSTemporaryDirectory()

    /// Where the cluster's nodes live.
    public enum Nodes: Sendable, CaseIterable {
        case processes
        /// Containers of the engine `DOCKER_HOST` names (scripts/test starts one).
        case containers
    }

    public let directory: String
    public let backend: ProcessBackend

    /// Starts the cluster of `inventory` (local-cluster.yaml by default), runs `body`, and stops
    /// every process whatever happens. `choosePort` picks the ports of a cluster of processes.
    public static func with<T>(_ nodes: Nodes = .processes, inventory: Inventory? = nil,
                               choosePort: @escaping PortChooser = FreePort.find,
                               _ body: (LiveCluster) async throws -> T) async throws -> T {
        let directory = scratch + "maintctl-live-\(UUID().uuidString)"
        let inventory = try inventory ?? InventoryLoader.load(path: packageRoot + "/Playbooks/inventories/local-cluster.yaml")
        let backend: ProcessBackend
        switch nodes {
        case .processes:
            backend = try await ProcessBackend.up(inventory, in: directory, binaries: ["default": "redis-server"],
                                              choosePort: choosePort, logger: Logger(label: "test"))
        case .containers:
            backend = try await ContainerBackend.up(inventory, in: directory, images: [:], redisServer: "redis-server",
                                                    engine: try ContainerEngine.fromEnvironment(), logger: Logger(label: "test"))
        }
        let cluster = LiveCluster(directory: directory, backend: backend)
        do {
            // The backend's background work (failure detectors, ends of pauses) runs beside the body.
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await backend.run() }
                defer { group.cancelAll() }
                return try await body(cluster)
            }
            try await cluster.tearDown()
            return result
        } catch {
            try? await cluster.tearDown()
            throw error
        }
    }

    /// Stops the cluster and checks that none of its processes, nor any of its containers, is left.
    public func tearDown() async throws {
        let pids = await backend.status().map(\.pid)
        try await backend.down()
        let left = pids.filter { kill($0, 0) == 0 && !Self.isZombie($0) }
        guard left.isEmpty else { throw BackendError(BackendErrorCode("orphans"), "processes left after down: \(left)") }
        if let containers = try await containers(), !containers.isEmpty {
            throw BackendError(BackendErrorCode("orphans"), "containers left after down: \(containers.map(\.name))")
        }
        guard !FileManager.default.fileExists(atPath: directory) else { throw BackendError(BackendErrorCode("leftovers"), "\(directory) still exists") }
    }

    /// Creates node `fresh` at 7.2.5 in cache `local` and starts a replica of `shard` on it.
    public func addFreshNode(withACopyOf shard: String) async throws {
        try await backend.createNodes([NodeSpec(id: "fresh", version: "7.2.5", capacity: Capacity(memoryMB: 1024, cpus: 2))], in: "local")
        try await backend.addReplica(of: shard, on: "fresh", in: "local")
    }

    /// The cluster's containers as the engine has them; nil for a cluster of local processes.
    public func containers() async throws -> [ContainerHost.NodeContainer]? {
        guard let host = backend.host as? ContainerHost else { return nil }
        return try await host.containers()
    }

    public static func isZombie(_ pid: pid_t) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }

    /// The port of the primary serving each slot range, asked live.
    public func primaries() async -> [(slots: ClosedRange<Int>, port: Int)] {
        await backend.status().filter { $0.role == "primary" }.compactMap { row in
            let bounds = row.slots.split(separator: "-").compactMap { Int($0) }
            return bounds.count == 2 ? (bounds[0]...bounds[1], row.port) : nil
        }
    }

    /// Writes `count` keys `key:N` = `value:N` through the primaries that own their slots.
    public func load(keys count: Int) async throws {
        try await forEachKey(count) { connection, key, index in
            try await connection.command("SET", key, "value:\(index)")
        }
    }

    /// The keys among the first `count` whose value is missing or wrong.
    public func missingKeys(of count: Int) async throws -> Int {
        let missing = Counter()
        try await forEachKey(count) { connection, key, index in
            if try await connection.command("GET", key).string != "value:\(index)" { await missing.add() }
        }
        return await missing.value
    }

    private func forEachKey(_ count: Int, _ body: @escaping @Sendable (RedisConnection, String, Int) async throws -> Void) async throws {
        let owners = await primaries()
        var connections: [Int: RedisConnection] = [:]
        for owner in owners { connections[owner.port] = try await RedisConnection.connect(port: owner.port) }
        let byPort = connections
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<64 {
                group.addTask {
                    for index in stride(from: worker, to: count, by: 64) {
                        let key = "key:\(index)"
                        let slot = HashSlot.slot(of: key)
                        guard let port = owners.first(where: { $0.slots.contains(slot) })?.port, let connection = byPort[port] else {
                            throw BackendError(BackendErrorCode("no-owner"), "no primary owns slot \(slot)")
                        }
                        try await body(connection, key, index)
                    }
                }
            }
            try await group.waitForAll()
        }
        for connection in connections.values { await connection.close() }
    }
}

public actor Counter {
    public private(set) var value = 0
    public init() {}
    public func add() { value += 1 }
}

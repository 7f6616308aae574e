import Foundation
import Logging
import MaintenanceKit
import Plugins
import ProcessBackend
import RedisWire

/// A live cluster of local-cluster.yaml in a temporary state directory, always torn down.
struct LiveCluster {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let registry = try! PluginRegistry(steps: BuiltinPlugins.all)

    /// Memory-backed when the machine has it: the servers' fsyncs (Redis Cluster saves its
    /// nodes.conf) then never wait behind other tests' disk writes.
    static let scratch: String = access("/dev/shm", W_OK) == 0 ? "/dev/shm/" : NSTemporaryDirectory()

    let directory: String
    let backend: ProcessBackend

    /// Starts the cluster, runs `body`, and stops every process whatever happens.
    static func with<T>(_ body: (LiveCluster) async throws -> T) async throws -> T {
        let directory = scratch + "maintctl-live-\(UUID().uuidString)"
        let inventory = try InventoryLoader.load(path: packageRoot + "/Playbooks/inventories/local-cluster.yaml")
        let backend = try await ProcessBackend.up(inventory, in: directory, binaries: ["default": "redis-server"],
                                                  logger: Logger(label: "test"))
        let cluster = LiveCluster(directory: directory, backend: backend)
        do {
            let result = try await body(cluster)
            try await cluster.tearDown()
            return result
        } catch {
            try? await cluster.tearDown()
            throw error
        }
    }

    /// Stops the cluster and checks that none of its processes is left.
    func tearDown() async throws {
        let pids = await backend.status().map(\.pid)
        try await backend.down()
        let left = pids.filter { kill($0, 0) == 0 && !Self.isZombie($0) }
        guard left.isEmpty else { throw BackendError("orphans", "processes left after down: \(left)") }
        guard !FileManager.default.fileExists(atPath: directory) else { throw BackendError("leftovers", "\(directory) still exists") }
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }

    /// The port of the primary serving each slot range, asked live.
    func primaries() async -> [(slots: ClosedRange<Int>, port: Int)] {
        await backend.status().filter { $0.role == "primary" }.compactMap { row in
            let bounds = row.slots.split(separator: "-").compactMap { Int($0) }
            return bounds.count == 2 ? (bounds[0]...bounds[1], row.port) : nil
        }
    }

    /// Writes `count` keys `key:N` = `value:N` through the primaries that own their slots.
    func load(keys count: Int) async throws {
        try await forEachKey(count) { connection, key, index in
            try await connection.command("SET", key, "value:\(index)")
        }
    }

    /// The keys among the first `count` whose value is missing or wrong.
    func missingKeys(of count: Int) async throws -> Int {
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
                            throw BackendError("no-owner", "no primary owns slot \(slot)")
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

actor Counter {
    private(set) var value = 0
    func add() { value += 1 }
}

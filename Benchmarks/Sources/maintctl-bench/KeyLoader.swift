import MaintenanceKit
import ProcessBackend
import RedisWire  // built for ProcessBackend; the parent package does not export it as a product yet

/// Writes and reads back the benchmark's keys `key:N` = `value:N:xxx…` (100 bytes), each
/// sent straight to the primary owning its slot, many commands in flight at once.
struct KeyLoader {
    /// Keys `key:0` … `key:<count-1>`.
    var count: Int
    /// Concurrent tasks, each with one command in flight.
    var tasks = 256
    /// Connections to each primary; the tasks share them, their commands pipelined.
    var connectionsPerPrimary = 4
    /// Length of every value in bytes.
    static let valueLength = 100

    /// The value of key `index`.
    static func value(_ index: Int) -> String {
        let head = "value:\(index):"
        return head + String(repeating: "x", count: max(0, valueLength - head.utf8.count))
    }

    /// Writes every key.
    /// - Throws: `BenchmarkFailure` when a primary cannot be reached or refuses a write.
    func load(through backend: ProcessBackend) async throws {
        _ = try await forEachKey(through: backend) { connection, index in
            let reply = try await connection.send(["SET", "key:\(index)", Self.value(index)], timeout: .seconds(10))
            guard reply.string == "OK" else { throw BenchmarkFailure("SET key:\(index) answered \(reply)") }
            return false
        }
    }

    /// How many keys are missing or hold a wrong value, read from the primaries.
    /// - Throws: `BenchmarkFailure` when a primary cannot be reached.
    func missing(through backend: ProcessBackend) async throws -> Int {
        try await forEachKey(through: backend) { connection, index in
            try await connection.send(["GET", "key:\(index)"], timeout: .seconds(10)).string != Self.value(index)
        }
    }

    /// Runs `body` for every key on a connection to its slot's primary; returns how many calls returned true.
    private func forEachKey(through backend: ProcessBackend,
                            _ body: @escaping @Sendable (RedisConnection, Int) async throws -> Bool) async throws -> Int {
        let owners = try await Self.primaryBySlot(backend)
        let connections = try await openPool(to: Set(owners))
        let (count, tasks) = (self.count, max(1, self.tasks))
        do {
            let hits = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        var hits = 0
                        for index in stride(from: task, to: count, by: tasks) {
                            let port = owners[HashSlot.slot(of: "key:\(index)")]
                            guard let links = connections[port], !links.isEmpty else {
                                throw BenchmarkFailure("no connection to the primary on port \(port)")
                            }
                            if try await body(links[task % links.count], index) { hits += 1 }
                        }
                        return hits
                    }
                }
                return try await group.reduce(0, +)
            }
            await Self.close(connections)
            return hits
        } catch {
            await Self.close(connections)
            throw error
        }
    }

    /// `connectionsPerPrimary` connections to each of `ports`; none is left open when it throws.
    private func openPool(to ports: Set<Int>) async throws -> [Int: [RedisConnection]] {
        var pool: [Int: [RedisConnection]] = [:]
        for port in ports {
            for _ in 0..<max(1, connectionsPerPrimary) {
                do {
                    pool[port, default: []].append(try await RedisConnection.connect(port: port))
                } catch {
                    await Self.close(pool)
                    throw BenchmarkFailure("cannot connect to the primary on port \(port): \(error)")
                }
            }
        }
        return pool
    }

    private static func close(_ pool: [Int: [RedisConnection]]) async {
        for connection in pool.values.joined() { await connection.close() }
    }

    /// The port of the serving primary of every slot, from the backend's live status.
    /// - Throws: `BenchmarkFailure` when a slot has no primary.
    static func primaryBySlot(_ backend: ProcessBackend) async throws -> [Int] {
        var owners = Array(repeating: 0, count: HashSlot.count)
        for row in await backend.status() where row.role == "primary" {
            let bounds = row.slots.split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] >= 0, bounds[0] <= bounds[1], bounds[1] < HashSlot.count else {
                throw BenchmarkFailure("cannot read the slots '\(row.slots)' of \(row.shard)")
            }
            for slot in bounds[0]...bounds[1] { owners[slot] = row.port }
        }
        if let orphan = owners.firstIndex(of: 0) { throw BenchmarkFailure("no serving primary owns slot \(orphan)") }
        return owners
    }
}

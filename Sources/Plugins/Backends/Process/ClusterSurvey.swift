import Foundation
import MaintenanceKit
import RedisWire

/// A running Redis Cluster that maintctl did not start, as `cluster adopt` reads it: every
/// server (its cluster identity, role and slots; its pid, version, binary and working
/// directory on this machine) and its shards. Only a cluster maintctl can drive safely is
/// surveyed: every slot served, one contiguous slot range per shard, no slot moving, no server
/// failing, every server a local process serving loopback.
struct ClusterSurvey: Sendable {
    struct Server: Sendable {
        var entry: ClusterNodeEntry
        var pid: Int32
        var version: String
        /// The `redis-server` executable it runs.
        var executable: String
        /// Its working directory (its `dir`).
        var directory: String
        /// The data it holds, in MB (`used_memory_dataset`).
        var datasetMB: Double
    }

    /// A primary's slots and its copies, primary first.
    struct Shard: Sendable {
        var slots: ClosedRange<Int>
        var primary: Server
        var replicas: [Server]
    }

    /// Shards in slot order.
    var shards: [Shard]

    /// Reads the cluster that the server on loopback `seedPort` belongs to.
    /// - Throws: `BackendError` `adopt-refused` saying what makes the cluster one maintctl
    ///   cannot take over, or why a server cannot be read.
    static func read(seedPort: Int, password: String?) async throws -> ClusterSurvey {
        let seed = try await connect(seedPort, password: password)
        let text: String
        do {
            text = try await seed.command("CLUSTER", "NODES").string ?? ""
            await seed.close()
        } catch {
            await seed.close()
            throw BackendError(.adoptRefused, "127.0.0.1:\(seedPort) is no Redis Cluster server: \(error)")
        }
        let entries = ClusterNodeEntry.parse(text)
        guard !entries.isEmpty else { throw BackendError(.adoptRefused, "127.0.0.1:\(seedPort) lists no cluster nodes") }
        for entry in entries {
            if entry.isUnhealthy {
                throw BackendError(.adoptRefused, "server \(entry.host):\(entry.port) (\(entry.id.prefix(8))) is \(entry.flags.sorted().joined(separator: ",")); adopt a healthy cluster")
            }
            if !isLoopback(entry.host) {
                throw BackendError(.adoptRefused, "server \(entry.id.prefix(8)) announces \(entry.host):\(entry.port); the process backend drives servers of this machine on loopback only")
            }
            if entry.movesSlots {
                throw BackendError(.adoptRefused, "server 127.0.0.1:\(entry.port) is migrating or importing slots; finish the resharding first")
            }
        }
        var servers: [String: Server] = [:]
        for entry in entries { servers[entry.id] = try await read(entry, password: password) }
        return try shards(of: entries, servers: servers)
    }

    private static func shards(of entries: [ClusterNodeEntry], servers: [String: Server]) throws -> ClusterSurvey {
        var shards: [Shard] = []
        var covered = 0
        for primary in entries where primary.isPrimary {
            let ranges = merged(primary.slots)
            guard let range = ranges.first else {
                throw BackendError(.adoptRefused, "primary 127.0.0.1:\(primary.port) serves no slots; remove it from the cluster (CLUSTER FORGET) or give it slots first")
            }
            guard ranges.count == 1 else {
                let listed = ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " ")
                throw BackendError(.adoptRefused, "primary 127.0.0.1:\(primary.port) serves slots \(listed); maintctl drives shards of one contiguous slot range (reshard them into one first)")
            }
            covered += range.count
            let replicas = entries.filter { $0.primaryID == primary.id }.sorted { $0.port < $1.port }
            shards.append(Shard(slots: range, primary: servers[primary.id]!, replicas: replicas.map { servers[$0.id]! }))
        }
        for orphan in entries where !orphan.isPrimary && !entries.contains(where: { $0.id == orphan.primaryID && $0.isPrimary }) {
            throw BackendError(.adoptRefused, "replica 127.0.0.1:\(orphan.port) replicates no primary of the cluster")
        }
        guard covered == 16384 else {
            throw BackendError(.adoptRefused, "the cluster serves \(covered) of 16384 slots; adopt a cluster that serves every slot")
        }
        return ClusterSurvey(shards: shards.sorted { $0.slots.lowerBound < $1.slots.lowerBound })
    }

    /// Adjacent and overlapping ranges joined.
    private static func merged(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// Reads one server: it must be the node the seed listed, and a process of this machine.
    private static func read(_ entry: ClusterNodeEntry, password: String?) async throws -> Server {
        let connection = try await connect(entry.port, password: password)
        do {
            let server = try await read(entry, through: connection)
            await connection.close()
            return server
        } catch {
            await connection.close()
            throw error
        }
    }

    private static func read(_ entry: ClusterNodeEntry, through connection: RedisConnection) async throws -> Server {
        let id = try await connection.command("CLUSTER", "MYID").string ?? ""
        guard id == entry.id else {
            throw BackendError(.adoptRefused, "127.0.0.1:\(entry.port) is node \(id.prefix(8)), not the \(entry.id.prefix(8)) the cluster lists there")
        }
        let server = ReplicationInfo(try await connection.command("INFO", "server").string ?? "")
        let memory = ReplicationInfo(try await connection.command("INFO", "memory").string ?? "")
        guard let pid = server.fields["process_id"].flatMap({ Int32($0) }), RedisServerProcess.isOurs(pid: pid, port: entry.port),
              let directory = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
            throw BackendError(.adoptRefused, "127.0.0.1:\(entry.port) says its pid is \(server.fields["process_id"] ?? "unknown"), "
                               + "which is no redis-server of this machine serving that port; run adopt on the servers' machine, as their user or root")
        }
        let version = server.fields["redis_version"] ?? ""
        guard InventoryLoader.isIdentifier(version) else {
            throw BackendError(.adoptRefused, "127.0.0.1:\(entry.port) reports version '\(version.forMessage)', which cannot name a version")
        }
        // What it was started as (not /proc's exe: Debian's redis-server is a link to
        // redis-check-rdb, which acts by the name it is called by); else redis-server on PATH.
        let executable = server.fields["executable"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? "redis-server"
        return Server(entry: entry, pid: pid, version: version, executable: executable, directory: directory,
                      datasetMB: (Double(memory.fields["used_memory_dataset"] ?? "") ?? 0) / 1_048_576)
    }

    private static func connect(_ port: Int, password: String?) async throws -> RedisConnection {
        do {
            return try await RedisConnection.connect(port: port, password: password)
        } catch {
            throw BackendError(.adoptRefused, "cannot read the server at 127.0.0.1:\(port): \(error)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}

import Foundation
import MaintenanceKit
import RedisWire

/// A running Redis Cluster that maintctl did not start, as `cluster adopt` reads it: every
/// server (its cluster identity, role and slots; its pid, version, binary and working
/// directory on its machine) and its shards. Only a cluster maintctl can drive safely is
/// surveyed: every slot served, one contiguous slot range per shard, no slot moving, no server
/// failing, every server a process its host can reach: of this machine serving loopback, or
/// of a machine with an address that maintctl reaches over SSH.
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

    /// The servers the cluster of `seed` lists (`CLUSTER NODES`), each with the address it announces.
    /// - Throws: `BackendError` `adopt-refused` when `seed` is no cluster server.
    static func entries(seed: ServerAddress, password: String?) async throws -> [ClusterNodeEntry] {
        let connection = try await connect(seed, password: password)
        let text: String
        do {
            text = try await connection.command("CLUSTER", "NODES").string ?? ""
            await connection.close()
        } catch {
            await connection.close()
            throw BackendError(.adoptRefused, "\(seed) is no Redis Cluster server: \(error)")
        }
        let entries = ClusterNodeEntry.parse(text)
        guard !entries.isEmpty else { throw BackendError(.adoptRefused, "\(seed) lists no cluster nodes") }
        return entries
    }

    /// Reads the cluster that the server at `seed` belongs to.
    /// - Parameters:
    ///   - host: Where its servers run: this machine (every server must serve loopback), or
    ///     machines with addresses (every server must announce one).
    /// - Throws: `BackendError` `adopt-refused` saying what makes the cluster one maintctl
    ///   cannot take over, or why a server cannot be read.
    static func read(seed: ServerAddress, password: String?, host: any ServerHost) async throws -> ClusterSurvey {
        var entries = try await entries(seed: seed, password: password)
        // A cluster made a moment ago (`redis-cli --cluster create` returns once the slots
        // agree) may not yet show the seed every replica's primary: gossip gets a few seconds.
        let settled = ContinuousClock.now + .seconds(5)
        while !orphans(in: entries).isEmpty, ContinuousClock.now < settled {
            try await Task.sleep(for: .milliseconds(100))
            entries = try await self.entries(seed: seed, password: password)
        }
        let onMachines = host.record.machines != nil
        for entry in entries {
            if entry.isUnhealthy {
                throw BackendError(.adoptRefused, "server \(entry.host):\(entry.port) (\(entry.id.prefix(8))) is \(entry.flags.sorted().joined(separator: ",")); adopt a healthy cluster")
            }
            if !onMachines && !isLoopback(entry.host) {
                throw BackendError(.adoptRefused, "server \(entry.id.prefix(8)) announces \(entry.host):\(entry.port); the process backend drives servers of this machine on loopback only")
            }
            if onMachines && (isLoopback(entry.host) || entry.host.isEmpty) {
                throw BackendError(.adoptRefused, "server \(entry.id.prefix(8)) announces '\(entry.host)':\(entry.port); servers on machines must announce "
                                   + "their machine's address (cluster-announce-ip) for maintctl to reach them there")
            }
            if entry.movesSlots {
                throw BackendError(.adoptRefused, "server \(entry.host):\(entry.port) is migrating or importing slots; finish the resharding first")
            }
        }
        var servers: [String: Server] = [:]
        for entry in entries { servers[entry.id] = try await read(entry, password: password, host: host, onMachines: onMachines) }
        return try shards(of: entries, servers: servers)
    }

    private static func shards(of entries: [ClusterNodeEntry], servers: [String: Server]) throws -> ClusterSurvey {
        var shards: [Shard] = []
        var covered = 0
        for primary in entries where primary.isPrimary {
            let ranges = merged(primary.slots)
            guard let range = ranges.first else {
                throw BackendError(.adoptRefused, "primary \(primary.host):\(primary.port) serves no slots; remove it from the cluster (CLUSTER FORGET) or give it slots first")
            }
            guard ranges.count == 1 else {
                let listed = ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " ")
                throw BackendError(.adoptRefused, "primary \(primary.host):\(primary.port) serves slots \(listed); maintctl drives shards of one contiguous slot range (reshard them into one first)")
            }
            covered += range.count
            let replicas = entries.filter { $0.primaryID == primary.id }.sorted { $0.port < $1.port }
            shards.append(Shard(slots: range, primary: servers[primary.id]!, replicas: replicas.map { servers[$0.id]! }))
        }
        if let orphan = orphans(in: entries).first {
            throw BackendError(.adoptRefused, "replica \(orphan.host):\(orphan.port) replicates no primary of the cluster")
        }
        guard covered == 16384 else {
            throw BackendError(.adoptRefused, "the cluster serves \(covered) of 16384 slots; adopt a cluster that serves every slot")
        }
        return ClusterSurvey(shards: shards.sorted { $0.slots.lowerBound < $1.slots.lowerBound })
    }

    /// The replicas whose primary the list does not show as a primary.
    private static func orphans(in entries: [ClusterNodeEntry]) -> [ClusterNodeEntry] {
        entries.filter { replica in !replica.isPrimary && !entries.contains { $0.id == replica.primaryID && $0.isPrimary } }
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

    /// Reads one server: it must be the node the seed listed, and a process its host finds.
    private static func read(_ entry: ClusterNodeEntry, password: String?, host: any ServerHost, onMachines: Bool) async throws -> Server {
        let address = ServerAddress(host: onMachines ? entry.host : RedisConnection.loopback, port: entry.port)
        let connection = try await connect(address, password: password)
        do {
            let server = try await read(entry, at: address, through: connection, host: host, onMachines: onMachines)
            await connection.close()
            return server
        } catch {
            await connection.close()
            throw error
        }
    }

    private static func read(_ entry: ClusterNodeEntry, at address: ServerAddress, through connection: RedisConnection,
                             host: any ServerHost, onMachines: Bool) async throws -> Server {
        let id = try await connection.command("CLUSTER", "MYID").string ?? ""
        guard id == entry.id else {
            throw BackendError(.adoptRefused, "\(address) is node \(id.prefix(8)), not the \(entry.id.prefix(8)) the cluster lists there")
        }
        let server = ReplicationInfo(try await connection.command("INFO", "server").string ?? "")
        let memory = ReplicationInfo(try await connection.command("INFO", "memory").string ?? "")
        let machine = NodeLocation(id: address.host, address: onMachines ? address.host : nil)
        let pid = server.fields["process_id"].flatMap { Int32($0) }
        guard let pid, let directory = await host.workingDirectory(of: HostedServer(node: machine, pid: pid, port: entry.port)) else {
            throw BackendError(.adoptRefused, "\(address) says its pid is \(server.fields["process_id"] ?? "unknown"), "
                               + (onMachines ? "which is no redis-server serving that port on \(address.host) (as maintctl's SSH user sees it)"
                                  : "which is no redis-server of this machine serving that port; run adopt on the servers' machine, as their user or root"))
        }
        let version = server.fields["redis_version"] ?? ""
        guard InventoryLoader.isIdentifier(version) else {
            throw BackendError(.adoptRefused, "\(address) reports version '\(version.forMessage)', which cannot name a version")
        }
        // What it was started as (not /proc's exe: Debian's redis-server is a link to
        // redis-check-rdb, which acts by the name it is called by); else redis-server on PATH.
        // On another machine it is taken as said: `check` finds it there before it runs anything.
        let executable = server.fields["executable"].flatMap { onMachines || FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? "redis-server"
        return Server(entry: entry, pid: pid, version: version, executable: executable, directory: directory,
                      datasetMB: (Double(memory.fields["used_memory_dataset"] ?? "") ?? 0) / 1_048_576)
    }

    private static func connect(_ address: ServerAddress, password: String?) async throws -> RedisConnection {
        do {
            return try await RedisConnection.connect(host: address.host, port: address.port, password: password)
        } catch {
            throw BackendError(.adoptRefused, "cannot read the server at \(address): \(error)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}

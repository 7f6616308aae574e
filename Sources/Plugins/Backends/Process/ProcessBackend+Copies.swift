import Foundation
import MaintenanceKit
import RedisWire

extension ProcessBackend {
    /// Starts a `redis-server` in cluster mode for `node`'s copy of `shard`, on free loopback
    /// ports, and waits until it answers. Given the ports of a copy that stopped, it restarts
    /// that copy in place: same ports, same cluster identity (its `nodes.conf`), so the
    /// cluster takes it back as the replica it was.
    func startCopy(shard: String, node: String, version: String, ports: (Int, Int)? = nil) async throws -> ClusterState.Copy {
        let directory = ClusterState.copyDirectory(root: self.directory, node: node, shard: shard)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A server whose start was cut short by a crash (never recorded, never met) is stopped,
        // and, unless the copy restarts in place, its identity dropped before the copy starts anew.
        await RedisServerProcess.stopAll(under: directory)
        if ports == nil { try? FileManager.default.removeItem(atPath: directory + "/nodes.conf") }
        let runnable = state.runnable(for: version)
        for attempt in 1...5 {
            // …and so is one that an earlier attempt's host gave up on but that started late.
            if attempt > 1 { await RedisServerProcess.stopAll(under: directory) }
            let (port, busPort) = try ports ?? (choosePort(), choosePort())
            let pidFile = directory + "/redis.pid"
            let arguments = [
                "--port", "\(port)", "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-port", "\(busPort)",
                "--cluster-config-file", directory + "/nodes.conf", "--cluster-node-timeout", "5000",
                "--cluster-announce-ip", "127.0.0.1", "--dir", directory,
                "--logfile", directory + "/redis.log", "--save", "", "--appendonly", "no",
                "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--repl-diskless-load", "disabled",
                "--cluster-require-full-coverage", "no",
            ]
            await forgetConnection(to: port)
            let pid: pid_t
            do {
                pid = try await host.startServer(on: node, runnable: runnable, arguments: arguments, pidFile: pidFile)
            } catch let error as BackendError where error.code == .redisStartFailed && ports == nil && attempt < 5 {
                logger.debug("start of \(node)/\(shard) failed, trying other ports: \(error)")
                continue
            }
            // The server answering must be ours: with many servers and clients on one machine,
            // the port may have gone to someone else between our choice and the server's bind.
            if try await waitUntilAnswering(port: port, pid: pid), RedisServerProcess.isOurs(pid: pid, port: port),
               let id = try? await run(port, "CLUSTER", "MYID").string, !id.isEmpty {
                return ClusterState.Copy(node: node, port: port, busPort: busPort, pid: pid, redisID: id)
            }
            await RedisServerProcess.stop(pid: pid, port: port)
            // Someone else took the port between our check and the server's bind: try others.
            guard ports == nil else { break }
        }
        throw BackendError(.redisStartFailed, "redis-server for \(node)/\(shard) did not start; see \(directory)/redis.log")
    }

    /// Waits until the server on `port` answers PING; false when it died or never answered.
    private func waitUntilAnswering(port: Int, pid: pid_t) async throws -> Bool {
        for _ in 0..<250 {
            guard RedisServerProcess.isAlive(pid) else { return false }
            if (try? await run(port, "PING", timeout: .milliseconds(200)))?.string == "PONG" { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Introduces `copy` to every other server of the cache and waits until they all know
    /// each other. Gossip alone is not enough: a server only trusts news of a node from a
    /// server it knows, so a new copy met through one server that is retired soon after can
    /// stay unknown to part of the cluster for good, which then sees its slots as unserved.
    func meetEveryone(_ copy: ClusterState.Copy, cacheIndex: Int) async throws {
        // A copy whose server is gone (one being retired when maintctl was killed) is not waited for.
        let others = state.caches[cacheIndex].shards.flatMap(\.copies).filter {
            $0.redisID != copy.redisID && RedisServerProcess.isOurs(pid: $0.pid, port: $0.port)
        }
        for other in others {
            try await run(copy.port, "CLUSTER", "MEET", "127.0.0.1", "\(other.port)", "\(other.busPort)")
        }
        try await waitUntil("every server of '\(state.caches[cacheIndex].id)' to know \(copy.node)'s new copy", limit: .seconds(30),
                            interval: .milliseconds(20)) {
            // A server that dies meanwhile (a node failing under the rollout) is not waited for.
            let alive = others.filter { RedisServerProcess.isOurs(pid: $0.pid, port: $0.port) }
            let everyone = Set(alive.map(\.redisID) + [copy.redisID])
            for server in alive + [copy] where !(try await self.connection(server.port).knownNodeIDs().isSuperset(of: everyone)) {
                return false
            }
            return true
        }
    }

    /// Makes `copy` a replica of `primary`, retrying while the cluster is still spreading the news of it.
    func replicate(_ copy: ClusterState.Copy, of primary: ClusterState.Copy) async throws {
        try await waitUntil("\(copy.node) to replicate \(primary.node)", limit: .seconds(20)) {
            do {
                try await self.run(copy.port, "CLUSTER", "REPLICATE", primary.redisID)
                return true
            } catch let error as RedisError where error.kind == .server {
                return false
            }
        }
    }

    /// Stops a copy's process and makes every other copy of the cache forget it.
    func retire(_ copy: ClusterState.Copy, cacheIndex: Int) async throws {
        await shutDown(copy)
        for shard in state.caches[cacheIndex].shards {
            for other in shard.copies where other.redisID != copy.redisID {
                _ = try? await run(other.port, "CLUSTER", "FORGET", copy.redisID)
            }
        }
        try? FileManager.default.removeItem(atPath: ClusterState.copyDirectory(root: directory, node: copy.node, shard: shardID(of: copy, cacheIndex: cacheIndex)))
    }

    /// Stops a copy's server: `SHUTDOWN NOSAVE NOW` takes effect at once (SIGTERM waits for
    /// the server's next 100 ms timer tick); signals by pid are the fallback. A server a
    /// `pause` fault stopped runs again first, and the failure detector is told that this
    /// silence is planned.
    func shutDown(_ copy: ClusterState.Copy) async {
        stoppedOnPurpose.insert(copy.pid)
        if RedisServerProcess.isOurs(pid: copy.pid, port: copy.port) {
            kill(copy.pid, SIGCONT)
            _ = try? await run(copy.port, "SHUTDOWN", "NOSAVE", "NOW", timeout: .milliseconds(500))
            for _ in 0..<100 where RedisServerProcess.isAlive(copy.pid) { try? await Task.sleep(for: .milliseconds(2)) }
        }
        await forgetConnection(copy.port)
        await RedisServerProcess.stop(pid: copy.pid, port: copy.port)
    }

    private func shardID(of copy: ClusterState.Copy, cacheIndex: Int) -> String {
        state.caches[cacheIndex].shards.first { $0.copies.contains { $0.redisID == copy.redisID } }?.id ?? "unknown"
    }

    /// Polls `condition` every 10 ms until it holds or `limit` passes.
    /// - Throws: `BackendError` naming what was awaited when the time runs out.
    func waitUntil(_ what: String, limit: Duration, interval: Duration = .milliseconds(10),
                   _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                if try await condition() { return }
            } catch let error as BackendError {
                throw error // the condition says waiting is pointless
            } catch {
                lastError = error
            }
            try await Task.sleep(for: interval)
        }
        throw BackendError(.timeout, "timed out after \(limit) waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
    }
}

/// Free TCP ports on 127.0.0.1, found by binding port 0.
public enum FreePort {
    /// A port no socket of this machine is bound to now.
    /// - Throws: `BackendError` when no socket can be bound.
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BackendError(.noPort, "cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BackendError(.noPort, "no free loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

import Foundation
import MaintenanceKit
import RedisWire

extension ProcessBackend {
    /// The arguments that make a server of `node` serve clients on `port`: plain TCP, or with
    /// the cache's TLS only TLS (clients, replication and the cluster bus alike; client
    /// certificates optional, clients authenticate with the password).
    private func listening(on port: Int, of node: String) async throws -> [String] {
        guard let files = try await tlsFiles(on: node) else { return ["--port", "\(port)"] }
        return ["--port", "0", "--tls-port", "\(port)", "--tls-cluster", "yes", "--tls-replication", "yes",
                "--tls-cert-file", files.certFile, "--tls-key-file", files.keyFile, "--tls-ca-cert-file", files.caFile,
                "--tls-auth-clients", "optional"]
    }

    /// The node's copies of the cache's TLS files, in its directory: its servers and its
    /// endpoint read them there (a container sees only that directory, a machine has only
    /// what maintctl put there). Written once per node; nil for plain TCP.
    /// - Throws: `BackendError` when a file cannot be read here or written there.
    func tlsFiles(on node: String) async throws -> TLSFiles? {
        guard let files = store.state.tls else { return nil }
        let directory = ClusterState.nodeDirectory(root: self.directory, node: node) + "/tls"
        let copies = TLSFiles(caFile: directory + "/ca.crt", certFile: directory + "/server.crt", keyFile: directory + "/server.key")
        guard !nodesWithTLSFiles.contains(node) else { return copies }
        let location = location(of: node)
        for (source, target) in [(files.caFile, copies.caFile), (files.certFile, copies.certFile), (files.keyFile, copies.keyFile)] {
            guard let contents = FileManager.default.contents(atPath: source) else {
                throw BackendError(.tlsUnavailable, "the cluster speaks TLS, and \(source) cannot be read")
            }
            try await host.writeFile(contents, to: target, on: location)
        }
        nodesWithTLSFiles.insert(node)
        return copies
    }

    /// Starts a `redis-server` in cluster mode for `node`'s copy of `shard`, on free ports of
    /// its node's machine, and waits until it answers. Given the ports of a copy that stopped,
    /// it restarts that copy in place: same ports, same cluster identity (its `nodes.conf`),
    /// so the cluster takes it back as the replica it was.
    func startCopy(shard: String, node: String, version: String, ports: (Int, Int)? = nil) async throws -> ClusterState.Copy {
        let directory = ClusterState.copyDirectory(root: self.directory, node: node, shard: shard)
        let location = location(of: node)
        let address = location.address ?? RedisConnection.loopback
        var phases = PhaseTimer()
        try await host.makeDirectory(directory, on: location)
        // A server whose start was cut short by a crash (never recorded, never met) is stopped,
        // and, unless the copy restarts in place, its identity dropped before the copy starts anew.
        await host.stopServers(under: directory, on: location)
        if ports == nil { await host.remove(directory + "/nodes.conf", on: location) }
        phases.lap("cleared")
        let runnable = store.state.runnable(for: version)
        // Why each attempt failed, for the error: the log is gone once the directory is.
        var failures: [String] = []
        for attempt in 1...5 {
            // …and so is one that an earlier attempt's host gave up on but that started late.
            if attempt > 1 { await host.stopServers(under: directory, on: location) }
            let (port, busPort) = try ports ?? (choosePort(), choosePort())
            let server = ServerAddress(host: address, port: port)
            let pidFile = directory + "/redis.pid"
            let arguments = try await listening(on: port, of: node) + [
                "--bind", address, "--cluster-enabled", "yes", "--cluster-port", "\(busPort)",
                "--cluster-config-file", directory + "/nodes.conf", "--cluster-node-timeout", "5000",
                "--cluster-announce-ip", address, "--dir", directory,
                "--logfile", directory + "/redis.log", "--save", "", "--appendonly", "no",
                "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--repl-diskless-load", "disabled",
                "--cluster-require-full-coverage", "no",
            ]
            await driver.forgetConnection(to: server)
            // The password reaches the server in a configuration file (its first argument),
            // removed once the server answers: never on its command line.
            var secret: String?
            if let password { secret = try await host.writeSecret(SecretHandoff.serverConfiguration(password), in: directory, on: location) }
            let pid: pid_t
            do {
                pid = try await host.startServer(on: location, runnable: runnable, arguments: (secret.map { [$0] } ?? []) + arguments, pidFile: pidFile)
            } catch let error as BackendError where error.code == .redisStartFailed && ports == nil && attempt < 5 {
                if let secret { await host.remove(secret, on: location) }
                logger.debug("start of \(node)/\(shard) failed, trying other ports: \(error)")
                failures.append("port \(port): \(error.message); log: \(await host.tail(of: directory + "/redis.log", on: location))")
                continue
            } catch {
                if let secret { await host.remove(secret, on: location) }
                throw error
            }
            phases.lap("launched")
            let started = HostedServer(node: location, pid: pid, port: port)
            // The server answering must be ours: with many servers and clients on one machine,
            // the port may have gone to someone else between our choice and the server's bind.
            let answered: Bool
            do {
                answered = try await waitUntilAnswering(server, started: started)
            } catch {
                if let secret { await host.remove(secret, on: location) }
                throw error
            }
            if let secret { await host.remove(secret, on: location) }
            let why: String
            if !answered {
                why = await host.conditions(of: [started]).first != .gone ? "never answered" : "died"
            } else if await host.conditions(of: [started]).first == .gone {
                why = "answered, but its process \(pid) is no redis-server on port \(port)"
            } else {
                do {
                    if let id = try await driver.run(server, "CLUSTER", "MYID").string, !id.isEmpty {
                        phases.lap("answering")
                        logger.debug("server of \(shard) on \(node) started: \(phases.description)")
                        return ClusterState.Copy(node: node, port: port, busPort: busPort, pid: pid, redisID: id, host: location.address)
                    }
                    why = "answered no cluster id"
                } catch {
                    why = "answered, then not its cluster id: \(error)"
                }
            }
            failures.append("port \(port): pid \(pid) \(why); log: \(await host.tail(of: directory + "/redis.log", on: location))")
            await host.stop(started, grace: .seconds(5))
            // Someone else took the port between our check and the server's bind: try others.
            guard ports == nil else { break }
        }
        throw BackendError(.redisStartFailed, "redis-server for \(node)/\(shard) did not start (\(failures.joined(separator: "; "))); see \(directory)/redis.log")
    }

    /// Waits until the server answers PING (asked every 5 ms for its first 200 ms, in which a
    /// server starts, then every 20 ms up to about 5 s); false when it died or never answered.
    private func waitUntilAnswering(_ server: ServerAddress, started: HostedServer) async throws -> Bool {
        for round in 0..<280 {
            // Asking the host costs a round trip to a remote one: every 5th try.
            if round % 5 == 4, await host.conditions(of: [started]).first == .gone { return false }
            if (try? await driver.run(server, "PING", timeout: .milliseconds(200)))?.string == "PONG" { return true }
            try await Task.sleep(for: .milliseconds(round < 40 ? 5 : 20))
        }
        return false
    }

    /// Introduces `copy` to every other live server of the cache it does not know yet
    /// (`CLUSTER MEET` from the copy, to all at once) without waiting for the handshakes,
    /// which Redis completes on its 100 ms cluster timer: the copy can replicate as soon as it
    /// knows its primary, and ``awaitAcquaintance(of:in:)`` waits for the rest.
    func introduce(_ copy: ClusterState.Copy, in cache: String) async throws {
        let known = (try? await driver.knownNodeIDs(copy.address)) ?? []
        let driver = self.driver
        let errors = await Concurrently.map(try await liveServers(of: cache, besides: copy).filter { !known.contains($0.redisID) }) { other -> (any Error)? in
            do {
                try await driver.meet(copy.address, other)
                return nil
            } catch {
                return error
            }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
    }

    /// Waits until `copy` and every other live server of the cache know one another. Gossip
    /// alone is not enough: a server only trusts news of a node from a server it knows, so a
    /// new copy met through one server that is retired soon after could stay unknown to part
    /// of the cluster for good, which would then see its slots as unserved. Every server is
    /// introduced directly (``introduce(_:in:)``); this confirms it before the copy is relied on.
    func awaitAcquaintance(of copy: ClusterState.Copy, in cache: String) async throws {
        try await Polling.waitUntil("every server of '\(cache)' to know \(copy.node)'s new copy", limit: .seconds(30)) {
            await self.checkAcquaintance(of: copy, in: cache)
        }
    }

    /// Whether `copy` and every other live server of the cache know one another, asking only
    /// the servers not seen to yet (a server that knows a copy forgets it only when told to,
    /// at its retirement); those seen are remembered. A move asks while its copy syncs, so
    /// that a failover to the copy has little left to ask.
    @discardableResult
    func checkAcquaintance(of copy: ClusterState.Copy, in cache: String) async -> Bool {
        // A server that dies meanwhile (a node failing under the rollout) is not waited for,
        // nor is one paused or on a node declared down: it hears of the copy by gossip later.
        // Nor is a copy prepared for a later move: it introduced itself to every server, and
        // its own move confirms its acquaintances.
        let seen = acquainted[copy.redisID] ?? []
        let unseen = ((try? store.cache(cache).shards.flatMap(\.copies)) ?? []).filter {
            $0.redisID != copy.redisID && !store.isOnFailedNode($0, in: cache) && !seen.contains($0.redisID) && !unattached.contains($0.redisID)
        }
        guard !unseen.isEmpty else { return true }
        let pending = await running(unseen)
        guard !pending.isEmpty else { return true }
        let driver = self.driver
        // The copy knows them, and each knows the copy (not necessarily every other new copy:
        // those still being introduced are waited for by their own moves).
        async let knownByCopy = (try? await driver.knownNodeIDs(copy.address)) ?? []
        let knowing = await Concurrently.map(pending) { server in
            (server.redisID, await driver.knows(copy.redisID, at: server.address))
        }
        let known = await knownByCopy
        let acquaintances = knowing.filter { $0.1 && known.contains($0.0) }.map(\.0)
        acquainted[copy.redisID, default: []].formUnion(acquaintances)
        return acquaintances.count == pending.count
    }

    /// The cache's other servers that run; a copy whose server is gone (one being retired
    /// when maintctl was killed) is left out.
    private func liveServers(of cache: String, besides copy: ClusterState.Copy) async throws -> [ClusterState.Copy] {
        await ours(try store.cache(cache).shards.flatMap(\.copies).filter { $0.redisID != copy.redisID })
    }

    /// Stops a copy's process and makes every other copy of the cache forget it. The others
    /// are told while it stops: a server that forgot a node ignores news of it for a minute,
    /// from it or from gossip.
    /// - Throws: `BackendError` for an unknown cache.
    func retire(_ copy: ClusterState.Copy, in cache: String) async throws {
        let shard = store.shardID(of: copy, in: cache) ?? "unknown"
        let others = try store.cache(cache).shards.flatMap(\.copies).filter { $0.redisID != copy.redisID }
        let driver = self.driver
        async let forgotten: [Void] = Concurrently.map(others) { other in
            _ = try? await driver.run(other.address, "CLUSTER", "FORGET", copy.redisID)
        }
        await shutDown(copy)
        _ = await forgotten
        unattached.remove(copy.redisID)
        firstSyncs.remove(copy.redisID)
        acquainted[copy.redisID] = nil
        await host.remove(ClusterState.copyDirectory(root: directory, node: copy.node, shard: shard), on: copy.location)
    }

    /// Stops a copy's server, telling the failure detector first that this silence is
    /// planned: `SHUTDOWN NOSAVE NOW` takes effect at once (SIGTERM waits for the server's
    /// next 100 ms timer tick); the host's stop by pid is the fallback. A server a `pause`
    /// fault stopped runs again first.
    func shutDown(_ copy: ClusterState.Copy) async {
        stoppedOnPurpose.insert(copy.pid)
        if await isOurs(copy) {
            await host.signal(.resume, to: [copy.server])
            await driver.shutDownNow(copy.address)
            // Its connection closed as it ended; a remote host is asked again every 20 ms.
            for round in 0..<100 {
                if round % 10 == 0, !(await isOurs(copy)) { break }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        await driver.forgetConnection(to: copy.address)
        await host.stop(copy.server, grace: .seconds(5))
    }
}

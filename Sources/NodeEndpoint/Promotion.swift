import RedisWire

/// An unplanned failover: the replica that received the most of a dead primary's writes
/// takes its slots over (`CLUSTER FAILOVER TAKEOVER`: the primary cannot agree, it is dead),
/// is seen primary, and the shard's other replicas follow it.
struct Promotion {
    let password: Secret?
    let tls: RedisTLS?

    /// Promotes the most up-to-date replica of `shard`'s primary, which answers no one (a
    /// majority of the endpoints' heartbeats and a last `PING` went unanswered); returns its address.
    /// - Parameters:
    ///   - linksMayBeUp: The primary's machine took no connection at all (down, or cut off from
    ///     the network): a replica whose link to it is still up (until `repl-timeout`) may be
    ///     promoted. Otherwise only one whose link went down (a crash closes it at once): a
    ///     primary that is only stalled or overloaded keeps its links up and is left to Redis's
    ///     own failover, so that a loaded machine is not taken for a dead one.
    ///   - servers: The cache's servers: each is asked, at once, whether it replicates the dead
    ///     primary, and for the newest config epoch.
    ///   - unheard: Servers among them not asked, for either (the endpoint does not hear them:
    ///     a connection attempt would only wait for its timeout).
    /// - Throws: `RedisError` when no replica answers, or the promotion is not seen within 5 s.
    func promoteBestReplica(of shard: SlotMap.Shard, servers: [ServerAddress], unheard: Set<ServerAddress>,
                            linksMayBeUp: Bool) async throws -> ServerAddress {
        let heard = Set(shard.replicas + servers).subtracting(unheard).subtracting([shard.primary])
        let asked = heard.sorted { $0.description < $1.description }
        let answers = await withTaskGroup(of: (ServerAddress, ReplicationInfo?).self) { group in
            for replica in asked { group.addTask { (replica, try? await self.replication(of: replica)) } }
            var answers: [ServerAddress: ReplicationInfo] = [:]
            for await (replica, info) in group { answers[replica] = info }
            return answers
        }
        var candidates: [(address: ServerAddress, offset: Int64)] = []
        var refused: [String] = []
        for replica in asked {
            guard let info = answers[replica] else {
                refused.append("\(replica) does not answer")
                continue
            }
            let state = info.fields
            // Only a server that says it replicates the silent primary: a replica of another,
            // live primary (a slot map read from a server that had not heard of a failover)
            // would take a live primary's slots. Its link is down (a crashed primary closes it at
            // once) or, when the primary's machine is unreachable, may still be up. One in a full
            // sync has no data set to serve.
            guard state["role"] == "slave", info.primaryPort == shard.primary.port, state["master_host"] == shard.primary.host,
                  linksMayBeUp || state["master_link_status"] == "down", state["master_sync_in_progress"] != "1",
                  let offset = Int64(state["slave_repl_offset"] ?? "") else {
                refused.append("\(replica) is role \(state["role"] ?? "?") of \(state["master_host"] ?? "?"):\(state["master_port"] ?? "?"), link \(state["master_link_status"] ?? "?")")
                continue
            }
            candidates.append((replica, offset))
        }
        // The most up-to-date first (ties in address order, as asked) that sees its primary's slots.
        var best: ServerAddress?
        for candidate in candidates.sorted(by: { $0.offset > $1.offset }) {
            if await seesSlotsOfItsPrimary(candidate.address) {
                best = candidate.address
                break
            }
            refused.append("\(candidate.address) does not see its primary serve slots")
        }
        guard let chosen = best else {
            throw RedisError(.connect, "no replica of \(shard.primary) to promote: \(refused.joined(separator: "; "))")
        }
        let connection = try await connect(to: chosen, timeout: .milliseconds(500))
        do {
            // TAKEOVER gives the newest epoch it knows plus one: it must know the newest, or its
            // claim could collide with another primary's epoch and be lost (as maintctl waits too).
            let newest = await newestEpoch(among: Array(heard.subtracting([chosen])))
            let known = ContinuousClock.now + .seconds(1)
            while try await connection.currentEpoch(timeout: .milliseconds(500)) ?? 0 < newest, ContinuousClock.now < known { try await Task.sleep(for: .milliseconds(5)) }
            // An answer that comes late (a loaded machine) does not mean the takeover did not
            // happen: the role it leads to decides, asked on connections of their own (the late
            // answer would otherwise be read as the next command's).
            var late: (any Error)?
            do {
                try await connection.command("CLUSTER", "FAILOVER", "TAKEOVER", timeout: .seconds(1))
            } catch let error as RedisError where error.kind == .timeout {
                late = error
            }
            await connection.close()
            let deadline = ContinuousClock.now + .seconds(5)
            while await role(of: chosen) != "master" {
                guard ContinuousClock.now < deadline else {
                    throw RedisError(.timeout, "\(chosen) was not primary 5 s after TAKEOVER\(late.map { " (\($0))" } ?? "")")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let id = try await identity(of: chosen)
            for replica in shard.replicas where replica != chosen && replica != shard.primary {
                guard let other = try? await connect(to: replica, timeout: .milliseconds(300)) else { continue }
                _ = try? await other.send(["CLUSTER", "REPLICATE", id], timeout: .seconds(1))
                await other.close()
            }
            return chosen
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Whether `replica` sees the primary it replicates serve slots: TAKEOVER claims the slots
    /// the replica sees its primary serve, so one that never heard its primary's own
    /// announcement (introduced moments before the primary died) would take the shard over
    /// with none.
    private func seesSlotsOfItsPrimary(_ replica: ServerAddress) async -> Bool {
        guard let nodes = (try? await ask(replica, ["CLUSTER", "NODES"], connecting: .milliseconds(300), timeout: .milliseconds(500)))??.string
        else { return false }
        let entries = ClusterNodeEntry.parse(nodes)
        guard let primary = entries.first(where: { $0.flags.contains("myself") })?.primaryID else { return false }
        return entries.first { $0.id == primary }?.slots.isEmpty == false
    }

    /// The highest `cluster_current_epoch` the reachable `servers` report, asked at once.
    private func newestEpoch(among servers: [ServerAddress]) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for server in servers {
                group.addTask {
                    guard let connection = try? await self.connect(to: server, timeout: .milliseconds(300)) else { return 0 }
                    let epoch = ((try? await connection.currentEpoch(timeout: .milliseconds(500))) ?? nil) ?? 0
                    await connection.close()
                    return epoch
                }
            }
            return await group.reduce(0, max)
        }
    }

    /// The first element of `server`'s `ROLE`; nil when it does not answer.
    private func role(of server: ServerAddress) async -> String? {
        (try? await ask(server, ["ROLE"], connecting: .milliseconds(500), timeout: .seconds(1)))??.elements?.first?.string
    }

    /// `server`'s cluster node id.
    private func identity(of server: ServerAddress) async throws -> String {
        guard let id = try await ask(server, ["CLUSTER", "MYID"], connecting: .seconds(1), timeout: .seconds(2))?.string else {
            throw RedisError(.timeout, "\(server) did not say its node id")
        }
        return id
    }

    /// `INFO replication` of `server`.
    private func replication(of server: ServerAddress) async throws -> ReplicationInfo {
        guard let info = try await ask(server, ["INFO", "replication"], connecting: .milliseconds(300), timeout: .milliseconds(500))?.string else {
            throw RedisError(.timeout, "\(server) did not answer INFO replication")
        }
        return ReplicationInfo(info)
    }

    /// One command on a connection of its own, closed after: a late answer cannot be taken for
    /// another command's. Nil when the command is not answered, or answered with an error.
    /// - Throws: `RedisError` when `server` cannot be reached.
    private func ask(_ server: ServerAddress, _ command: [String], connecting: Duration, timeout: Duration) async throws -> RESPValue? {
        let connection = try await connect(to: server, timeout: connecting)
        let answer = try? await connection.send(command, timeout: timeout)
        await connection.close()
        return answer?.isError == true ? nil : answer
    }

    private func connect(to server: ServerAddress, timeout: Duration) async throws -> RedisConnection {
        try await RedisConnection.connect(host: server.host, port: server.port, timeout: timeout, password: password?.text, tls: tls)
    }
}

import Foundation
import MaintenanceKit
import RedisWire

extension ProcessBackend {
    /// Planned failover without losing an acknowledged write: writes pause on the primary,
    /// the replica catches up to the primary's offset, the replica takes the slots over
    /// (`CLUSTER FAILOVER TAKEOVER`, safe here because nothing can be written meanwhile),
    /// the old primary turns replica, and writes resume — clients follow the MOVED redirect.
    ///
    /// `CLUSTER FAILOVER` without TAKEOVER does its own pause and wait, but on redis 7.0 it
    /// answers before anything happens, took 100–150 ms (once 5 s) and sometimes never
    /// happened; this path is measured in milliseconds and verified before it returns.
    public func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport {
        guard let target = try store.copy(of: shard, on: node, in: cache) else {
            throw BackendError(.noCopy, "shard '\(shard)' has no copy on '\(node)'")
        }
        let primary = try await primaryCopy(of: shard, in: cache)
        guard primary.redisID != target.redisID else {
            return FailoverReport(cache: cache, shard: shard, kind: .planned, from: node, to: node, unavailable: .zero)
        }
        var phases = PhaseTimer()
        let before = try await driver.replication(target.address)
        guard !before.isPrimary, before.linkUp else {
            throw BackendError(.replicaNotReady, "the copy of \(shard) on '\(node)' is not a linked replica; refusing a planned failover")
        }
        phases.lap("checked")
        // Every server must know the new primary to take its claim to the slots; the handshakes
        // started when it was attached and have mostly finished during its sync.
        try await awaitAcquaintance(of: target, in: cache)
        phases.lap("known to every server")
        try await waitUntilKnowsNewestEpoch(target, in: cache)
        phases.lap("newest epoch heard")
        // TAKEOVER claims the slots the replica sees its primary serve: a copy that has met its
        // primary only by gossip (introduced moments ago, its sync as short) sees none yet,
        // and would take the shard over with no slots.
        let slots = try await driver.slots(of: primary.redisID, seenAt: primary.address)
        try await Polling.waitUntil("the copy on \(node) to see the slots of \(shard)'s primary", limit: .seconds(5), interval: .milliseconds(1)) {
            try await self.driver.slots(of: primary.redisID, seenAt: target.address) == slots
        }
        phases.lap("primary's slots seen")
        // Clients wait from here: the endpoints hold the shard's requests (and warn the clients
        // that asked), then the pause stops writes from anyone else; both expire by themselves
        // if maintctl dies mid-failover. Held before paused: a request an endpoint sent before
        // its hold is answered (or redirected) before what it held goes to the new primary, so
        // few requests meet the pause.
        let paused = ContinuousClock.now
        let inFlight = "\(cache)/\(shard)"
        plannedFailoversInFlight.insert(inFlight)
        defer { plannedFailoversInFlight.remove(inFlight) }
        await holdShard(primary: primary.address, in: cache)
        let pauseMilliseconds = max(5000, endpointPolicy(of: cache).holdLimitMilliseconds)
        var expired: [String] = []
        var released = false
        var takeoverSent = false
        let gap: Duration
        // The pause is renewed every second until the old primary is seen demoted (`CLIENT
        // PAUSE` only ever extends it): on a machine slow enough for the waits below to outlast
        // it, writes the old primary took after it ran out would be lost at its demotion.
        let pauseFor = String(pauseMilliseconds)
        do {
            try await driver.run(primary.address, "CLIENT", "PAUSE", pauseFor, "WRITE")
            var pause = PauseRenewal(address: primary.address, milliseconds: pauseFor)
            // A replica whose stream stands still behind (see `StalledStream`) is asked to reconnect.
            var stream = StalledStream()
            try await Polling.waitUntil("the replica of \(shard) on \(node) to reach the primary's offset", limit: .seconds(3),
                                interval: .milliseconds(1)) {
                // Renewed before the offsets are read: the takeover that follows a match finds the
                // primary paused for seconds still.
                try await pause.renewIfDue(through: self.driver)
                // Both asked at once: the paused primary's offset stands still.
                async let primaryReplication = self.driver.replication(primary.address)
                let replica = try await self.driver.replication(target.address)
                let primaryOffset = try await primaryReplication.offset
                if replica.offset >= primaryOffset { return true }
                if stream.advice(replica, target: primaryOffset) == .reconnect {
                    self.logger.debug("failover of \(shard): the stream of \(node) stands still at \(replica.offset) of \(primaryOffset); asked to reconnect")
                    await self.driver.reconnect(target, to: primary)
                }
                return false
            }
            let held = ContinuousClock.now - paused
            // Refused (an error reply): nothing changed hands. Unanswered: it may have.
            do {
                takeoverSent = true
                try await driver.run(target.address, "CLUSTER", "FAILOVER", "TAKEOVER")
            } catch let error as RedisError where error.kind == .server {
                takeoverSent = false
                throw error
            }
            // The old primary hears of it from the new one's broadcast: asked at once, while
            // the new one is seen promoted, it has often heard already.
            let driver = self.driver
            async let demotedAtOnce = (try? await driver.replication(primary.address).isPrimary) == false
            try await Polling.waitUntil("\(node) to become primary of \(shard)", limit: .seconds(3), interval: .milliseconds(1)) {
                try await self.driver.replication(target.address).isPrimary
            }
            // Promoted: the endpoints send what they held to the new primary, in order, while
            // the old primary learns it is a replica.
            released = true
            plannedFailoversInFlight.remove(inFlight)
            let promoted = ContinuousClock.now - paused
            async let releasing = releaseShard(primary: primary.address, to: target.address, in: cache)
            do {
                if await !demotedAtOnce {
                    var demotionPause = pause
                    try await Polling.waitUntil("the old primary of \(shard) to turn replica", limit: .seconds(10), interval: .milliseconds(1)) {
                        try await demotionPause.renewIfDue(through: self.driver)
                        return try await !self.driver.replication(primary.address).isPrimary
                    }
                }
            } catch {
                expired = await releasing
                throw error
            }
            let demoted = ContinuousClock.now - paused
            _ = try? await driver.run(primary.address, "CLIENT", "UNPAUSE")
            gap = ContinuousClock.now - paused
            phases.lap("writes paused")
            logger.debug("failover of \(shard): held and caught up \(held), promoted \(promoted), old primary demoted \(demoted), unpaused \(gap)")
            // While the endpoints hear of the release (a round trip to each, on a machine they
            // share), the shard's other copies follow the new primary and the cache is seen
            // healthy (every server asked; it waits for the shard's copies to link too).
            do {
                async let healthy: Void = waitUntilHealthy(cache: cache)
                try await awaitReplicas(of: shard, following: target, in: cache)
                phases.lap("replicas follow")
                try await healthy
                phases.lap("cluster healthy")
            } catch {
                expired = await releasing
                throw error
            }
            expired = await releasing
            phases.lap("endpoints released")
        } catch {
            // Not seen promoted: the endpoints route the shard where it is served now.
            if !released {
                let promoted = (try? await driver.replication(target.address).isPrimary) == true
                await releaseShard(primary: primary.address, to: promoted ? target.address : primary.address, in: cache)
            }
            // After a takeover that was not refused, an old primary not seen demoted stays paused:
            // unpaused, it would take writes until it hears of the new primary, and lose them at
            // its demotion; its pause runs out by itself, by when it has heard.
            if takeoverSent, await (try? driver.replication(primary.address))?.isPrimary != false {
                logger.warning("failover of \(shard) to \(node) failed after its takeover; the old primary, not seen demoted, stays paused until its pause runs out")
            } else {
                _ = try? await driver.run(primary.address, "CLIENT", "UNPAUSE")
            }
            throw error
        }
        logger.debug("failover of \(shard), around the write pause: \(phases.description)")
        if !expired.isEmpty {
            throw BackendError(.holdExpired, "the failover of \(shard) to \(node) outlasted the endpoints' hold "
                               + "(\(endpointPolicy(of: cache).holdLimitMilliseconds) ms): \(expired.joined(separator: ", ")) answered its held requests TRYAGAIN")
        }
        return FailoverReport(cache: cache, shard: shard, kind: .planned, from: primary.node, to: node, unavailable: gap)
    }

    /// Waits until every other copy of `shard`, the old primary too, replicates `target` with
    /// its link up, so that the shard keeps its in-sync replicas before anything is removed.
    /// The demoted primary follows the new one by itself; its own replicas would keep
    /// following it (chained), so they are pointed at the new primary directly. A copy whose
    /// server is gone or whose node failed (a node failing under the rollout) is lost, not
    /// waited for; a copy prepared for a later move replicates nothing until that move
    /// attaches it.
    private func awaitReplicas(of shard: String, following target: ClusterState.Copy, in cache: String) async throws {
        let others = try store.shard(shard, in: cache).copies.filter { $0.redisID != target.redisID && !unattached.contains($0.redisID) }
        func kept() async -> [ClusterState.Copy] {
            await ours(others.filter { !store.isOnFailedNode($0, in: cache) })
        }
        for copy in await kept() {
            if (try? await driver.replication(copy.address).primaryPort) != target.port { try await driver.replicate(copy, of: target) }
        }
        try await Polling.waitUntil("the replicas of \(shard) to follow \(target.node)", limit: .seconds(30)) {
            for copy in await kept() {
                let info = try await self.driver.replication(copy.address)
                guard !info.isPrimary, info.primaryPort == target.port, info.linkUp else { return false }
            }
            return true
        }
    }

    /// Waits until `copy` has heard of the newest config epoch of the cache's servers.
    /// `CLUSTER FAILOVER TAKEOVER` gives a replica the newest epoch it knows plus one; one that
    /// has not heard of the last takeover yet (restarted a moment ago, its gossip not yet
    /// caught up) would claim the slots with an epoch another primary holds, and Redis settles
    /// such a collision by node id: the old primary could win its slots back, and the writes
    /// the new one took meanwhile would be lost.
    private func waitUntilKnowsNewestEpoch(_ copy: ClusterState.Copy, in cache: String) async throws {
        guard let newest = try await bringNewestEpoch(to: copy, in: cache) else { return }
        try await Polling.waitUntil("the copy on \(copy.node) to hear of config epoch \(newest)", limit: .seconds(3), interval: .milliseconds(1)) {
            (try await self.driver.currentEpoch(copy.address) ?? 0) >= newest
        }
    }

    /// Has `copy` introduce itself again to servers that hold the cache's newest config epoch
    /// when it has not heard of it, without waiting for the news; gossip would bring it within
    /// seconds in a wide cluster (a server pings one random other a second). A move does this
    /// while its copy syncs, so that a failover to the copy finds it done.
    /// - Returns: The newest epoch, nil when no other server answered.
    @discardableResult
    func bringNewestEpoch(to copy: ClusterState.Copy, in cache: String) async throws -> Int? {
        let others = await ours(try store.cache(cache).shards.flatMap(\.copies).filter {
            $0.redisID != copy.redisID && !store.isOnFailedNode($0, in: cache)
        })
        let driver = self.driver
        let epochs = await Concurrently.map(others) { other in (other, (try? await driver.currentEpoch(other.address)) ?? 0) }
        guard let newest = epochs.map(\.1).max() else { return nil }
        // The copy meets three holders again on its next 100 ms tick: the first answer carries
        // the epoch. Not the other way round: a server met by a node it knows already adds and
        // drops a second entry for it, each time rewriting its nodes.conf, and a holder is
        // often a primary that clients are writing to.
        if (try? await driver.currentEpoch(copy.address)) ?? 0 < newest {
            _ = await Concurrently.map(Array(epochs.filter { $0.1 == newest }.map(\.0).prefix(3))) { holder in
                try? await driver.meet(copy.address, holder)
            }
        }
        return newest
    }

    /// Restarts every copy on `node` (all replicas) with what runs `version`, keeping ports
    /// and cluster identity, and waits until each is linked and in sync again. The node's
    /// servers stop together, as on a rebooted machine; a host whose nodes are bound to what
    /// runs them (a container's image) provisions the node anew in between.
    public func restartNode(_ node: String, version: String?, in cache: String) async throws {
        guard let current = try store.cache(cache).nodes.first(where: { $0.id == node }) else {
            throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(node)'")
        }
        if current.adopted == true {
            throw BackendError(.adoptedServer, "refusing to restart '\(node)' in place: its servers were adopted (maintctl does not know how "
                               + "they were configured); replace the node instead, as rolling-patch.yaml does")
        }
        let newVersion = version ?? current.version
        try await host.check(version: newVersion, runnable: store.state.runnable(for: newVersion))
        // The shards with a copy on the node; each copy is looked up again after every await.
        let held = try store.cache(cache).shards.filter { $0.copies.contains { $0.node == node } }.map(\.id)
        let heldCopy = { (shard: String) throws -> ClusterState.Copy in
            guard let copy = try self.store.copy(of: shard, on: node, in: cache) else {
                throw BackendError(.noCopy, "shard '\(shard)' no longer has a copy on '\(node)'; not restarting it")
            }
            return copy
        }
        // Every copy must be seen a replica, before any stops and again right before each
        // stops: a copy restarts empty (nothing is saved) with its cluster identity, so a
        // primary restarted this way would come back owning its slots with no data, and its
        // replicas would sync that.
        for shard in held { try await requireReplica(try heldCopy(shard), of: shard, restarting: node) }
        for shard in held {
            try await requireReplica(try heldCopy(shard), of: shard, restarting: node)
            await shutDown(try heldCopy(shard))
        }
        let capacity = store.node(node, in: cache)?.capacity ?? current.capacity
        let location = location(of: node)
        _ = try await host.provision(NodeSpec(id: node, version: newVersion, capacity: capacity), runnable: store.state.runnable(for: newVersion),
                                     directory: ClusterState.nodeDirectory(root: directory, node: node), current: location, taken: [])
        for shard in held {
            let copy = try heldCopy(shard)
            let restarted = try await startCopy(shard: shard, node: node, version: newVersion, ports: (copy.port, copy.busPort))
            try store.replaceCopy(copy.redisID, of: shard, in: cache, with: restarted)
            try store.persist()
        }
        for shard in held { _ = try await waitForSync(of: shard, on: node, in: cache) }
        try store.updateNode(node, in: cache) { $0.version = newVersion }
        try store.persist()
    }

    /// Throws unless `copy` answers as a replica.
    private func requireReplica(_ copy: ClusterState.Copy, of shard: String, restarting node: String) async throws {
        let role: ReplicationInfo
        do {
            role = try await driver.replication(copy.address, timeout: .seconds(2))
        } catch {
            throw BackendError(.roleUnknown, "refusing to restart '\(node)': its copy of \(shard) does not say whether it is a replica (\(error))")
        }
        if role.isPrimary {
            throw BackendError(.nodeHoldsPrimary, "refusing to restart '\(node)': it is primary of \(shard)")
        }
    }
}

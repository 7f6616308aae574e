import Foundation
import MaintenanceKit
import RedisWire

extension ProcessBackend {
    /// Starts a copy of `shard` on `node` and makes it a replica of the shard's primary. A copy
    /// prepared ahead (``prepareCopies(of:on:in:)``) or left by an interrupted attempt is
    /// attached if its server runs, else started anew. The copy replicates as soon as it knows
    /// its primary; the rest of the cluster's handshakes with it finish during the sync (a
    /// failover to it waits for them).
    /// - Throws: `BackendError` when the node is not active, the shard has no single primary,
    ///   or the server does not start or join.
    public func addReplica(of shard: String, on node: String, in cache: String) async throws {
        var phases = PhaseTimer()
        if let existing = try store.copy(of: shard, on: node, in: cache) {
            if await isOurs(existing) {
                let primary = try await primaryCopy(of: shard, in: cache)
                guard primary.redisID != existing.redisID else { return }
                phases.lap("primary found")
                // Attached by this process beside an earlier move (`parallel_syncs`) and still
                // following its primary: `CLUSTER REPLICATE` again would start its sync over. A
                // copy from before an interruption is attached again, whatever it follows.
                if firstSyncs.contains(existing.redisID), let info = try? await driver.replication(existing.address), !info.isPrimary,
                   info.fields["master_host"] == primary.address.host, info.primaryPort == primary.address.port {
                    logger.debug("copy of \(shard) on \(node) replicates its primary already")
                    return
                }
                try await attach(existing, of: shard, to: primary, in: cache, phases: &phases)
                logger.debug("copy of \(shard) on \(node) started earlier: \(phases.description)")
                return
            }
            // A copy whose process died (a failed earlier attempt) is forgotten and started anew.
            try await retire(existing, in: cache)
            try store.removeCopy(existing.redisID, of: shard, in: cache)
            try store.persist()
        }
        guard let version = try store.cache(cache).nodes.first(where: { $0.id == node && $0.lifecycle == .active })?.version else {
            throw BackendError(.nodeNotActive, "cannot place a copy of \(shard) on '\(node)': it is not an active node")
        }
        let primary = try await primaryCopy(of: shard, in: cache)
        phases.lap("primary found")
        let copy = try await startCopy(shard: shard, node: node, version: version)
        try store.addCopy(copy, to: shard, in: cache)
        try store.persist()
        phases.lap("started")
        try await attach(copy, of: shard, to: primary, in: cache, phases: &phases)
        logger.debug("new copy of \(shard) on \(node): \(phases.description)")
    }

    /// Introduces `copy` to the cluster and makes it replicate `primary`, retried until the
    /// copy knows its primary (its first handshake). The clients hear MIGRATING meanwhile.
    private func attach(_ copy: ClusterState.Copy, of shard: String, to primary: ClusterState.Copy, in cache: String,
                        phases: inout PhaseTimer) async throws {
        async let told: Void = notifyMigrating(shard, in: cache)
        do {
            try await introduce(copy, in: cache)
            phases.lap("introduced")
            try await driver.replicate(copy, of: primary)
            unattached.remove(copy.redisID)
            firstSyncs.insert(copy.redisID)
            phases.lap("replicating")
        } catch {
            await told
            throw error
        }
        await told
        phases.lap("endpoints told")
    }

    /// Waits until `node`'s copy of `shard` has everything its primary had when asked; a
    /// primary lost meanwhile is followed to the replica promoted in its place.
    /// - Throws: `BackendError` when the copy dies or is promoted, or the primary is lost
    ///   with no replacement within 30 s.
    public func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        // The clients told MIGRATING hear MIGRATED when the sync ends, however it ends.
        do {
            let report = try await awaitSync(of: shard, on: node, in: cache)
            await notifyMigrated(in: cache)
            return report
        } catch {
            await notifyMigrated(in: cache)
            throw error
        }
    }

    private func awaitSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport {
        guard let copy = try store.copy(of: shard, on: node, in: cache) else {
            throw BackendError(.noCopy, "shard '\(shard)' has no copy on '\(node)'")
        }
        var primary = try await primaryCopy(of: shard, in: cache)
        let started = ContinuousClock.now
        guard primary.redisID != copy.redisID else {
            return SyncReport(shard: shard, node: node, megabytes: 0, duration: .zero) // a primary is its own truth
        }
        var primaryLostAt: ContinuousClock.Instant?
        var linkUpAfter: Duration?
        var stream = StalledStream()
        defer { syncsUnderWay[cache] = nil }
        // A failover to the copy may follow: the news of the newest config epoch travels
        // meanwhile, and the servers that already know the copy are noted.
        async let epochBrought = try? bringNewestEpoch(to: copy, in: cache)
        async let acquaintance = checkAcquaintance(of: copy, in: cache)
        // Synced: the link is up, no sync in progress, the replica has received at least
        // everything the primary had when we asked it, and its stream is seen to flow: one
        // that does not begin after the snapshot (see `StalledStream`) is asked to reconnect.
        try await Polling.waitUntil("the copy of \(shard) on \(node) to be in sync", limit: .seconds(3600)) {
            guard await self.isOurs(copy) else {
                throw BackendError(.copyDied, "the redis-server of \(shard) on \(node) (pid \(copy.pid)) died during the sync")
            }
            // A primary that died (or was declared down) mid-sync: the copy syncs from the
            // replica promoted in its place, once there is one.
            if !(await self.isOurs(primary)) || self.store.isOnFailedNode(primary, in: cache) {
                let lostAt = primaryLostAt ?? .now
                primaryLostAt = lostAt
                guard let promoted = try? await self.primaryCopy(of: shard, in: cache), promoted.redisID != primary.redisID else {
                    if ContinuousClock.now - lostAt > .seconds(30) {
                        throw BackendError(.primaryLost, "the primary of \(shard) died during the sync to \(node) and no replica replaced it within 30s")
                    }
                    return false
                }
                guard promoted.redisID != copy.redisID else {
                    throw BackendError(.copyPromoted, "the copy of \(shard) on \(node) was promoted before its sync was confirmed")
                }
                primary = promoted
                primaryLostAt = nil
            }
            let target = try await self.driver.replication(primary.address).offset
            let replica = try await self.driver.replication(copy.address)
            self.syncsUnderWay[cache] = Self.progress(of: shard, on: node, replica: replica, target: target)
            if replica.linkUp, linkUpAfter == nil { linkUpAfter = ContinuousClock.now - started }
            switch stream.advice(replica, target: target) {
            case .inSync: return true
            case .wait: return false
            case .reconnect:
                self.logger.debug("copy of \(shard) on \(node): its stream is not seen to flow (at \(replica.offset) of \(target)); asked to reconnect")
                await self.driver.reconnect(copy, to: primary)
                return false
            }
        }
        firstSyncs.remove(copy.redisID)
        _ = await (epochBrought, acquaintance)
        let megabytes = try await driver.datasetMegabytes(primary.address)
        logger.debug("copy of \(shard) on \(node) in sync after \((ContinuousClock.now - started).milliseconds)ms, its link up after \(linkUpAfter?.milliseconds ?? -1)ms")
        return SyncReport(shard: shard, node: node, megabytes: megabytes, duration: ContinuousClock.now - started)
    }

    /// How far the copy has come: the snapshot's bytes while it is transferred (Redis's
    /// `master_sync_read_bytes` of `master_sync_total_bytes`), then the stream it still lacks.
    private static func progress(of shard: String, on node: String, replica: ReplicationInfo, target: Int64) -> SyncProgress {
        if replica.fields["master_sync_in_progress"] == "1" {
            return SyncProgress(shard: shard, node: node, receivedBytes: replica.fields["master_sync_read_bytes"].flatMap { Int64($0) },
                                totalBytes: replica.fields["master_sync_total_bytes"].flatMap { Int64($0) })
        }
        return SyncProgress(shard: shard, node: node, bytesBehind: replica.linkUp ? max(0, target - replica.offset) : nil)
    }

    /// Stops `node`'s copy of `shard` and forgets it, unless it is the shard's primary or
    /// too few in-sync replicas would be left.
    /// - Throws: `InvariantViolation` 1 or 5 when the removal is refused; `BackendError`
    ///   `role-unknown` when the copy's server does not answer and no other copy serves the shard.
    public func removeCopy(of shard: String, from node: String, in cache: String) async throws {
        guard let copy = try store.copy(of: shard, on: node, in: cache) else { return }
        // From here on the failure detector promotes another replica rather than this one
        // when it can; the checks below run after any verdict it is about to give.
        retiring.insert(copy.redisID)
        defer { retiring.remove(copy.redisID) }
        // A copy of the shard whose server died, on a node not yet declared down, may change
        // what removing this one means (its primary may be about to move): wait for the verdict.
        let others = try store.shard(shard, in: cache).copies
        for (other, condition) in zip(others, await conditions(of: others))
        where other.node != node && !store.isOnFailedNode(other, in: cache) && condition == .gone {
            await awaitVerdict(on: other.node, in: cache)
        }
        var phases = PhaseTimer()
        try await refuseIfPrimary(copy, of: shard, on: node, in: cache)
        phases.lap("not primary")
        // The other replicas must be seen in sync; a server too slow to answer now (a loaded
        // machine, a short stall) gets a few seconds before the removal is refused.
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let record = try store.cache(cache)
            let minReplicas = record.minReplicas
            let failed = Set(record.nodes.filter { $0.lifecycle == .failed }.map(\.id))
            let copies = try await self.shard(shard, in: cache)?.copies ?? []
            let othersInSync = copies.filter { $0.node != node && $0.role == .replica && $0.inSync }.count
            // Copies lost with a failed node lower the count a shard must keep (invariant 5 as
            // `Invariants.check` reads it); forgetting such a copy takes nothing away.
            let lost = copies.filter { failed.contains($0.node) }.count
            if failed.contains(node) || othersInSync >= minReplicas - lost { break }
            if ContinuousClock.now >= deadline {
                // What it saw, so that a refusal can be told from a wrong reading of the cluster.
                let seen = copies.map { "\($0.node) \($0.role.rawValue)\(failed.contains($0.node) ? " on a failed node" : $0.inSync ? "" : " not in sync")" }
                throw InvariantViolation(5, cache: cache, "refused to remove the copy of '\(shard)' on '\(node)': "
                                         + "\(othersInSync) in-sync replicas would be left, fewer than \(minReplicas) "
                                         + "(\(shard): \(seen.joined(separator: ", ")))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        phases.lap("replicas in sync")
        try await retire(copy, in: cache)
        phases.lap("retired")
        try store.removeCopy(copy.redisID, of: shard, in: cache)
        // Where the node's clients go when it leaves: the node of the shard's newest copy (not
        // one prepared for a later node's move).
        if let newest = try store.shard(shard, in: cache).copies.last(where: { !unattached.contains($0.redisID) })?.node {
            try store.updateCache(cache) { record in
                if let index = record.nodes.firstIndex(where: { $0.id == node }) { record.nodes[index].successor = newest }
            }
        }
        try store.persist()
        try await waitUntilHealthy(cache: cache)
        phases.lap("cluster healthy")
        logger.debug("old copy of \(shard) on \(node) removed: \(phases.description)")
    }

    /// Throws unless `copy` is known not to be the shard's primary: its node was declared down
    /// (the detector replaced what it served), or its server answers and serves no slots, or
    /// it does not answer and another copy serves the shard. A server that does not answer is
    /// unknown otherwise — a stalled primary is still the primary — so it is asked again for
    /// up to 5 s (the detector's verdict on a dead node comes meanwhile), then refused.
    /// - Throws: `InvariantViolation` 1 for the primary; `BackendError` `role-unknown`.
    private func refuseIfPrimary(_ copy: ClusterState.Copy, of shard: String, on node: String, in cache: String) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !store.isOnFailedNode(copy, in: cache) {
            let serving: Bool
            do {
                serving = try await driver.isServingPrimary(copy.address, timeout: .seconds(2))
            } catch {
                if let primary = try? await primaryCopy(of: shard, in: cache), primary.redisID != copy.redisID { return }
                guard ContinuousClock.now < deadline else {
                    throw BackendError(.roleUnknown, "refused to remove the copy of '\(shard)' on '\(node)': its server does not answer "
                                       + "and no other copy serves the shard, so it may be the primary (\(error))")
                }
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            if serving {
                throw InvariantViolation(1, cache: cache, "refused to remove the primary copy of '\(shard)' on '\(node)'")
            }
            return
        }
    }
}

extension ProcessBackend: SyncProgressReporting {
    public func syncProgress(in cache: String) -> SyncProgress? { syncsUnderWay[cache] }
}

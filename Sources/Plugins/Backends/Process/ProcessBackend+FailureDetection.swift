import Foundation
import MaintenanceKit
import RedisWire

/// The unplanned failover: what the backend does when its ``FailureDetector`` declares a node
/// down, and when a node declared down answers again.
extension ProcessBackend: FailureDetecting {
    public func unplannedFailures(in cache: String) async throws -> [UnplannedFailure] {
        _ = try store.cache(cache)
        defer { pendingFailures[cache] = nil }
        return pendingFailures[cache] ?? []
    }

    /// Starts watching `cache` for failed nodes, unless a detector watches it already;
    /// `beginMaintenance` does this, and a standalone watch may too.
    /// - Throws: `BackendError` for an unknown cache, or when nothing runs the backend's
    ///   background work (``run()``).
    public func startFailureDetector(for cache: String) async throws {
        _ = try store.cache(cache)
        guard detectors[cache] == nil else { return }
        // Settings made in code skip the playbook's checks: keep the loops from spinning.
        var settings = detection
        settings.heartbeat = max(settings.heartbeat, .milliseconds(10))
        settings.downAfter = max(settings.downAfter, settings.heartbeat * 2)
        let detector = FailureDetector(cache: cache, settings: settings, backend: self)
        do {
            // The endpoints observe, this detector acts: their own healing waits while it watches
            // (paused before it starts, the lease then renewed beside it).
            await tellEndpoints(of: cache, ["HEALING", "PAUSE", "5000"])
            let job = try await background.start(priority: .high) { [self] in
                await withDiscardingTaskGroup { group in
                    group.addTask { await detector.run() }
                    group.addTask { await self.pauseEndpointHealing(of: cache) }
                }
            }
            // Another call may have started one meanwhile.
            guard detectors[cache] == nil else { return await job.stop() }
            detectors[cache] = job
        } catch {
            throw BackendError(.backgroundNotRunning, "cannot watch '\(cache)' for failures: \(error)")
        }
    }

    /// Stops watching `cache`; returns when the detector and its heartbeats have stopped.
    public func stopFailureDetector(for cache: String) async {
        guard let job = detectors.removeValue(forKey: cache) else { return }
        await job.stop()
        await tellEndpoints(of: cache, ["HEALING", "RESUME"])
    }

    func stopFailureDetectors() async {
        for cache in Array(detectors.keys) { await stopFailureDetector(for: cache) }
    }

    /// The nodes of `cache` the detector watches, with their servers and the endpoints that
    /// report on them; nil when the cache is gone.
    func watchedNodes(in cache: String) async -> [WatchedNode]? {
        guard let record = try? store.cache(cache) else { return nil }
        let copies = record.shards.flatMap(\.copies)
        let watched = record.nodes.filter { $0.lifecycle != .removed && $0.lifecycle != .deleted }
        // Endpoints on this machine report what they hear by server port. Nodes on machines
        // are heartbeated by maintctl, which asks other machines before it declares one down.
        let reporting = await nodesWithRunningEndpoints(watched.filter { $0.host == nil })
        return watched.map { node in
            WatchedNode(id: node.id, failed: node.lifecycle == .failed, copies: copies.filter {
                $0.node == node.id && !stoppedOnPurpose.contains($0.pid)
            }.map { WatchedCopy(address: $0.address, pid: $0.pid, redisID: $0.redisID) },
                        endpoint: reporting.contains(node.id) ? node.endpoint?.port : nil)
        }
    }

    /// Whether another live node's machine reaches any of `servers` (up to two are asked, at
    /// once); false when none answers that it does or none can be asked.
    func othersReach(_ servers: [ServerAddress], of node: String, in cache: String) async -> Bool {
        guard let record = try? store.cache(cache) else { return false }
        let askers = record.nodes.filter { $0.id != node && ($0.lifecycle == .active || $0.lifecycle == .draining) && $0.host != nil }.prefix(2)
        let host = self.host
        var caFiles: [String: String] = [:]
        for asker in askers { caFiles[asker.id] = (try? await tlsFiles(on: asker.id))?.caFile }
        let tlsCAFiles = caFiles
        return await withTaskGroup(of: Bool?.self) { group in
            for asker in askers {
                group.addTask { await host.reach(servers, from: NodeLocation(id: asker.id, address: asker.host), caFile: tlsCAFiles[asker.id]) }
            }
            for await answer in group where answer == true {
                group.cancelAll()
                return true
            }
            return false
        }
    }

    /// Says once that `node` is silent to maintctl only: the other nodes reach it, so it is
    /// not failed over (the seed: an unplanned failure must not be transient or local).
    func noteReachedOnlyByOthers(_ node: String, in cache: String) {
        guard reachedOnlyByOthers.insert(node).inserted else { return }
        logger.warning("node \(node) of \(cache) does not answer maintctl, but the other nodes reach it: not failing it over (a network problem between maintctl and it?)")
    }

    /// Declares `node` down: its lifecycle becomes `failed` (its copies stay listed), the most
    /// up-to-date replica of each primary it held is promoted, the leader moves if it was
    /// there, and an ``UnplannedFailure`` waits for `unplannedFailures(in:)`. Nothing is
    /// refused: a failure has happened whatever the invariants say.
    /// - Parameters:
    ///   - lastAnswer: When the node last answered a heartbeat.
    ///   - declaredAt: When the detector declared it down.
    func declareDown(_ node: String, in cache: String, lastAnswer: ContinuousClock.Instant, declaredAt: ContinuousClock.Instant) async {
        guard let current = store.node(node, in: cache), ![.failed, .removed, .deleted].contains(current.lifecycle) else { return }
        let detection = declaredAt - lastAnswer
        let detectedAt = clock.now - (ContinuousClock.now - declaredAt)
        logger.warning("node \(node) of \(cache) declared down: no answer for \(detection)")
        try? store.updateNode(node, in: cache) { record in
            record.lifecycleBeforeFailure = record.lifecycle
            record.lifecycle = .failed
        }
        record("the failure of \(node)")
        var failovers: [FailoverReport] = []
        var lost: [String] = []
        let shards = ((try? store.cache(cache))?.shards ?? []).filter { $0.copies.contains { $0.node == node } }.map(\.id)
        // Each shard on its own, all at once: one that needs no promotion (the node held a
        // replica) does not delay one that does.
        let replacements = await withTaskGroup(of: (String, Replacement).self) { group in
            for shard in shards {
                group.addTask { (shard, await self.replacePrimary(of: shard, lostOn: node, in: cache, detection: detection)) }
            }
            var done: [String: Replacement] = [:]
            for await (shard, replacement) in group { done[shard] = replacement }
            return done
        }
        for shard in shards {
            let role: CopyRole
            switch replacements[shard] ?? .lost {
            case .notNeeded:
                role = .replica
            case let .promoted(to, at):
                role = .replica
                let promotion = at - declaredAt
                failovers.append(FailoverReport(cache: cache, shard: shard, kind: .unplanned, from: node, to: to,
                                                unavailable: detection + promotion, detection: detection, promotion: promotion))
            case .lost:
                role = .primary
                lost.append(shard)
            }
            setRoleAtFailure(role, of: shard, on: node, in: cache)
        }
        var newLeader: String?
        if let recorded = try? store.cache(cache), recorded.leader == node {
            let successor = recorded.nodes.first { $0.lifecycle == .active }?.id
            newLeader = successor
            try? store.updateCache(cache) { $0.leader = successor }
            await updateEndpointRoles(of: cache)
        }
        record("the failover after \(node) failed")
        let failure = UnplannedFailure(node: node, detectedAt: detectedAt, failovers: failovers, lostShards: lost, newLeader: newLeader)
        logger.warning("\(cache): \(failure.summary)")
        pendingFailures[cache, default: []].append(failure)
        // Once the rollout can see the failure: the endpoints find the new primaries by
        // themselves within a second, this makes it at once.
        if !failovers.isEmpty { await reloadEndpoints(of: cache) }
    }

    /// Takes a failed node back when its servers answer again (a stall that outlasted the
    /// detector): once no copy of it competes with the shard's new primary — its old primaries
    /// find their slots owned by a newer config epoch and turn replica by themselves — it gets
    /// its earlier lifecycle back. Until then it stays failed; the detector asks again.
    func takeBack(_ node: String, in cache: String) async {
        guard let recorded = try? store.cache(cache), recorded.nodes.contains(where: { $0.id == node && $0.lifecycle == .failed })
        else { return }
        for shard in recorded.shards {
            guard let copy = shard.copies.first(where: { $0.node == node }) else { continue }
            guard await conditions(of: [copy]).first == .running,
                  let info = try? await driver.replication(copy.address, timeout: .milliseconds(500)) else { return }
            guard info.isPrimary else { continue }
            // A primary: it must serve its slots with no other copy serving them (a shard no
            // replica could take over), else it has not turned replica yet.
            guard (try? await driver.isServingPrimary(copy.address, timeout: .milliseconds(500))) == true else { return }
            for other in await ours(shard.copies.filter { $0.node != node }) {
                if (try? await driver.isServingPrimary(other.address, timeout: .milliseconds(500))) == true { return }
            }
            if copy.roleAtFailure != .primary {
                // Its replacement lost the slots back to it (a config-epoch collision): the
                // writes acknowledged by the replacement since the failover are gone.
                logger.error("\(cache)/\(shard.id): the copy on \(node) serves the shard again after its replacement; writes acknowledged since the failover may be lost")
            }
        }
        // Looked up again: the node may have changed while its servers were asked.
        guard let failed = store.node(node, in: cache), failed.lifecycle == .failed else { return }
        let lifecycle = failed.lifecycleBeforeFailure ?? .active
        try? store.updateCache(cache) { record in
            for n in record.nodes.indices where record.nodes[n].id == node {
                record.nodes[n].lifecycle = lifecycle
                record.nodes[n].lifecycleBeforeFailure = nil
            }
            for s in record.shards.indices {
                for k in record.shards[s].copies.indices where record.shards[s].copies[k].node == node {
                    record.shards[s].copies[k].roleAtFailure = nil
                }
            }
            if record.leader == nil, lifecycle == .active { record.leader = node }
        }
        record("the return of \(node)")
        logger.notice("node \(node) of \(cache) answers again; its copies are replicas, it is \(lifecycle.rawValue) again")
    }

    /// Gives the failed nodes of `cache` whose servers run again up to `limit` to be taken back.
    func settleReturns(in cache: String, within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard let record = try? store.cache(cache) else { return }
            let copies = record.shards.flatMap(\.copies)
            let failedCopies = copies.filter { copy in record.nodes.contains { $0.id == copy.node && $0.lifecycle == .failed } }
            let runningIDs = Set(await running(failedCopies).map(\.redisID))
            let returning = record.nodes.filter { node in
                node.lifecycle == .failed && copies.contains { $0.node == node.id }
                    && copies.filter { $0.node == node.id }.allSatisfy { runningIDs.contains($0.redisID) }
            }
            guard !returning.isEmpty else { return }
            for node in returning { await takeBack(node.id, in: cache) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private enum Replacement {
        /// The lost copy was not the shard's primary (or a live copy already serves).
        case notNeeded
        case promoted(to: String, at: ContinuousClock.Instant)
        /// No replica was linked to the lost primary until it died.
        case lost
    }

    /// Promotes, when the shard's primary was on `node`, the replica with the highest
    /// replication offset among those that followed that primary until it died (their link
    /// is up — a stalled primary keeps its sockets — or went down no more than a minute before
    /// the detection, and no full sync is in progress): `CLUSTER FAILOVER TAKEOVER`, then
    /// it must serve the slots in its own view, then the shard's other live replicas follow it.
    private func replacePrimary(of shard: String, lostOn node: String, in cache: String, detection: Duration) async -> Replacement {
        // A planned failover of the shard under way decides first: its new primary serves the
        // shard (no promotion needed), or it gave up and the primary is still the lost one.
        let deadline = ContinuousClock.now + .seconds(10)
        while plannedFailoversInFlight.contains("\(cache)/\(shard)"), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        guard let record = try? store.cache(cache), let copies = record.shards.first(where: { $0.id == shard })?.copies,
              let dead = copies.first(where: { $0.node == node }) else { return .notNeeded }
        let failed = Set(record.nodes.filter { $0.lifecycle == .failed }.map(\.id))
        let live = await running(copies.filter { !failed.contains($0.node) })
        // Answers are waited for 2 s: a live server slow to answer (a loaded machine) must not be
        // taken for a lost primary, nor a slow replica for one that cannot be promoted.
        for copy in live {
            if (try? await driver.isServingPrimary(copy.address, timeout: .seconds(2))) == true { return .notNeeded }
        }
        // The link broke when the primary died, or not long before. Not "at most the detection
        // time ago": Redis 7.0 can date the loss from an earlier one (a replica whose link dropped
        // 0.3 s before said 5 s), so the bound is Redis's own for a replica's data age in a
        // failover (`cluster-replica-validity-factor` 10 × the 5 s node timeout), rounded up.
        let linkDownLimit = Int(detection.components.seconds) + 60
        var candidates: [(copy: ClusterState.Copy, offset: Int64)] = []
        for copy in live {
            guard let info = try? await driver.replication(copy.address, timeout: .seconds(2)), !info.isPrimary,
                  info.primaryPort == dead.port, info.fields["master_sync_in_progress"] == "0" else { continue }
            let downSince = info.fields["master_link_down_since_seconds"].flatMap { Int($0) }
            guard info.fields["master_link_status"] == "up" || downSince.map({ (0...linkDownLimit).contains($0) }) == true else { continue }
            candidates.append((copy, info.offset))
        }
        // A copy being removed is promoted only when no other replica can be.
        let staying = candidates.filter { !retiring.contains($0.copy.redisID) }
        guard let chosen = (staying.isEmpty ? candidates : staying).max(by: { $0.offset < $1.offset })?.copy else {
            logger.error("\(cache)/\(shard): no replica was in sync with the primary on \(node); the shard has no primary")
            return .lost
        }
        do {
            try await driver.run(chosen.address, "CLUSTER", "FAILOVER", "TAKEOVER", timeout: .seconds(1))
            try await Polling.waitUntil("\(chosen.node) to serve \(shard) as primary", limit: .seconds(5), interval: .milliseconds(1)) {
                try await self.driver.isServingPrimary(chosen.address, timeout: .milliseconds(500))
            }
        } catch {
            logger.error("\(cache)/\(shard): promoting the replica on \(chosen.node) failed: \(error)")
            return .lost
        }
        let promotedAt = ContinuousClock.now
        for other in live where other.redisID != chosen.redisID {
            guard await followsOn(other, in: shard, of: cache),
                  (try? await driver.replication(other.address, timeout: .milliseconds(500)))?.primaryPort != chosen.port else { continue }
            do {
                // A step may retire the copy meanwhile (a migration under way): then it follows nobody.
                try await driver.replicate(other, of: chosen) { [weak self] in await self?.followsOn(other, in: shard, of: cache) ?? false }
            } catch {
                logger.warning("\(cache)/\(shard): the replica on \(other.node) does not follow the new primary: \(error)")
            }
        }
        return .promoted(to: chosen.node, at: promotedAt)
    }

    /// Whether a copy is still one of the shard's, not being removed, and its server runs.
    private func followsOn(_ copy: ClusterState.Copy, in shard: String, of cache: String) async -> Bool {
        guard !retiring.contains(copy.redisID), (try? store.shard(shard, in: cache))?.copies.contains(where: { $0.redisID == copy.redisID }) == true
        else { return false }
        return await isOurs(copy)
    }

    private func setRoleAtFailure(_ role: CopyRole, of shard: String, on node: String, in cache: String) {
        try? store.updateShard(shard, in: cache) { record in
            guard let k = record.copies.firstIndex(where: { $0.node == node }) else { return }
            record.copies[k].roleAtFailure = role
        }
    }

    /// Persists the state; a failure's record must not stop its handling.
    private func record(_ what: String) {
        do { try store.persist() } catch { logger.error("could not record \(what): \(error)") }
    }
}

import Foundation
import MaintenanceKit
import RedisWire

/// The unplanned failover: what the backend does when its ``FailureDetector`` declares a node
/// down, and when a node declared down answers again.
extension ProcessBackend: FailureDetecting {
    public func unplannedFailures(in cache: String) async throws -> [UnplannedFailure] {
        _ = try state.cacheIndex(cache)
        defer { pendingFailures[cache] = nil }
        return pendingFailures[cache] ?? []
    }

    /// Starts watching `cache` for failed nodes, unless a detector watches it already;
    /// `beginMaintenance` does this, and a standalone watch may too.
    /// - Throws: `BackendError` for an unknown cache, or when nothing runs the backend's
    ///   background work (``run()``).
    public func startFailureDetector(for cache: String) async throws {
        _ = try state.cacheIndex(cache)
        guard detectors[cache] == nil else { return }
        // Settings made in code skip the playbook's checks: keep the loops from spinning.
        var settings = detection
        settings.heartbeat = max(settings.heartbeat, .milliseconds(10))
        settings.downAfter = max(settings.downAfter, settings.heartbeat * 2)
        let detector = FailureDetector(cache: cache, settings: settings, backend: self)
        do {
            let job = try await background.start(priority: .high) { await detector.run() }
            // Another call may have started one meanwhile.
            guard detectors[cache] == nil else { return await job.stop() }
            detectors[cache] = job
        } catch {
            throw BackendError(.backgroundNotRunning, "cannot watch '\(cache)' for failures: \(error)")
        }
    }

    /// Stops watching `cache`; returns when the detector and its heartbeats have stopped.
    public func stopFailureDetector(for cache: String) async {
        await detectors.removeValue(forKey: cache)?.stop()
    }

    func stopFailureDetectors() async {
        for cache in Array(detectors.keys) { await stopFailureDetector(for: cache) }
    }

    /// The nodes of `cache` the detector watches, with the servers to heartbeat; nil when
    /// the cache is gone.
    func watchedNodes(in cache: String) -> [WatchedNode]? {
        guard let c = try? state.cacheIndex(cache) else { return nil }
        let copies = state.caches[c].shards.flatMap(\.copies)
        return state.caches[c].nodes.filter { $0.lifecycle != .removed && $0.lifecycle != .deleted }.map { node in
            WatchedNode(id: node.id, failed: node.lifecycle == .failed, copies: copies.filter {
                $0.node == node.id && !stoppedOnPurpose.contains($0.pid)
            }.map { WatchedCopy(port: $0.port, pid: $0.pid, redisID: $0.redisID) })
        }
    }

    /// Declares `node` down: its lifecycle becomes `failed` (its copies stay listed), the most
    /// up-to-date replica of each primary it held is promoted, the leader moves if it was
    /// there, and an ``UnplannedFailure`` waits for `unplannedFailures(in:)`. Nothing is
    /// refused: a failure has happened whatever the invariants say.
    /// - Parameters:
    ///   - lastAnswer: When the node last answered a heartbeat.
    ///   - declaredAt: When the detector declared it down.
    func declareDown(_ node: String, in cache: String, lastAnswer: ContinuousClock.Instant, declaredAt: ContinuousClock.Instant) async {
        guard let c = try? state.cacheIndex(cache), let n = state.caches[c].nodes.firstIndex(where: { $0.id == node }),
              ![.failed, .removed, .deleted].contains(state.caches[c].nodes[n].lifecycle) else { return }
        let detection = declaredAt - lastAnswer
        let detectedAt = clock.now - (ContinuousClock.now - declaredAt)
        logger.warning("node \(node) of \(cache) declared down: no answer for \(detection)")
        state.caches[c].nodes[n].lifecycleBeforeFailure = state.caches[c].nodes[n].lifecycle
        state.caches[c].nodes[n].lifecycle = .failed
        record("the failure of \(node)")
        var failovers: [FailoverReport] = []
        var lost: [String] = []
        let shards = state.caches[c].shards.filter { $0.copies.contains { $0.node == node } }.map(\.id)
        for shard in shards {
            let role: CopyRole
            switch await replacePrimary(of: shard, lostOn: node, in: cache, detection: detection) {
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
        if let c = try? state.cacheIndex(cache), state.caches[c].leader == node {
            newLeader = state.caches[c].nodes.first { $0.lifecycle == .active }?.id
            state.caches[c].leader = newLeader
        }
        record("the failover after \(node) failed")
        let failure = UnplannedFailure(node: node, detectedAt: detectedAt, failovers: failovers, lostShards: lost, newLeader: newLeader)
        logger.warning("\(cache): \(failure.summary)")
        pendingFailures[cache, default: []].append(failure)
    }

    /// Takes a failed node back when its servers answer again (a stall that outlasted the
    /// detector): once no copy of it competes with the shard's new primary — its old primaries
    /// find their slots owned by a newer config epoch and turn replica by themselves — it gets
    /// its earlier lifecycle back. Until then it stays failed; the detector asks again.
    func takeBack(_ node: String, in cache: String) async {
        guard let c = try? state.cacheIndex(cache), state.caches[c].nodes.contains(where: { $0.id == node && $0.lifecycle == .failed })
        else { return }
        for shard in state.caches[c].shards {
            guard let copy = shard.copies.first(where: { $0.node == node }) else { continue }
            guard RedisServerProcess.isOurs(pid: copy.pid, port: copy.port), !RedisServerProcess.isStopped(copy.pid),
                  let info = try? await driver.replication(copy.port, timeout: .milliseconds(500)) else { return }
            guard info.isPrimary else { continue }
            // A primary: it must serve its slots with no other copy serving them (a shard no
            // replica could take over), else it has not turned replica yet.
            guard (try? await driver.isServingPrimary(copy.port, timeout: .milliseconds(500))) == true else { return }
            for other in shard.copies where other.node != node && RedisServerProcess.isOurs(pid: other.pid, port: other.port) {
                if (try? await driver.isServingPrimary(other.port, timeout: .milliseconds(500))) == true { return }
            }
            if copy.roleAtFailure != .primary {
                // Its replacement lost the slots back to it (a config-epoch collision): the
                // writes acknowledged by the replacement since the failover are gone.
                logger.error("\(cache)/\(shard.id): the copy on \(node) serves the shard again after its replacement; writes acknowledged since the failover may be lost")
            }
        }
        guard let c = try? state.cacheIndex(cache), let n = state.caches[c].nodes.firstIndex(where: { $0.id == node }),
              state.caches[c].nodes[n].lifecycle == .failed else { return }
        state.caches[c].nodes[n].lifecycle = state.caches[c].nodes[n].lifecycleBeforeFailure ?? .active
        state.caches[c].nodes[n].lifecycleBeforeFailure = nil
        for s in state.caches[c].shards.indices {
            for k in state.caches[c].shards[s].copies.indices where state.caches[c].shards[s].copies[k].node == node {
                state.caches[c].shards[s].copies[k].roleAtFailure = nil
            }
        }
        if state.caches[c].leader == nil, state.caches[c].nodes[n].lifecycle == .active { state.caches[c].leader = node }
        record("the return of \(node)")
        logger.notice("node \(node) of \(cache) answers again; its copies are replicas, it is \(state.caches[c].nodes[n].lifecycle.rawValue) again")
    }

    /// Gives the failed nodes of `cache` whose servers run again up to `limit` to be taken back.
    func settleReturns(in cache: String, within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard let c = try? state.cacheIndex(cache) else { return }
            let copies = state.caches[c].shards.flatMap(\.copies)
            let returning = state.caches[c].nodes.filter { node in
                node.lifecycle == .failed && copies.contains { $0.node == node.id }
                    && copies.filter { $0.node == node.id }.allSatisfy {
                        RedisServerProcess.isOurs(pid: $0.pid, port: $0.port) && !RedisServerProcess.isStopped($0.pid)
                    }
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
    /// is up — a stalled primary keeps its sockets — or went down no earlier than the
    /// detection time ago, and no full sync is in progress): `CLUSTER FAILOVER TAKEOVER`, then
    /// it must serve the slots in its own view, then the shard's other live replicas follow it.
    private func replacePrimary(of shard: String, lostOn node: String, in cache: String, detection: Duration) async -> Replacement {
        guard let at = try? location(of: shard, in: cache) else { return .notNeeded }
        let copies = state.caches[at.cache].shards[at.shard].copies
        guard let dead = copies.first(where: { $0.node == node }) else { return .notNeeded }
        let failed = Set(state.caches[at.cache].nodes.filter { $0.lifecycle == .failed }.map(\.id))
        let live = copies.filter {
            !failed.contains($0.node) && RedisServerProcess.isOurs(pid: $0.pid, port: $0.port) && !RedisServerProcess.isStopped($0.pid)
        }
        for copy in live {
            if (try? await driver.isServingPrimary(copy.port, timeout: .milliseconds(500))) == true { return .notNeeded }
        }
        // The link broke when the primary died: at most the detection time ago, in whole seconds.
        let linkDownLimit = Int(detection.components.seconds) + 2
        var candidates: [(copy: ClusterState.Copy, offset: Int64)] = []
        for copy in live {
            guard let info = try? await driver.replication(copy.port, timeout: .milliseconds(500)), !info.isPrimary,
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
            try await driver.run(chosen.port, "CLUSTER", "FAILOVER", "TAKEOVER", timeout: .seconds(1))
            try await Polling.waitUntil("\(chosen.node) to serve \(shard) as primary", limit: .seconds(5), interval: .milliseconds(1)) {
                try await self.driver.isServingPrimary(chosen.port, timeout: .milliseconds(500))
            }
        } catch {
            logger.error("\(cache)/\(shard): promoting the replica on \(chosen.node) failed: \(error)")
            return .lost
        }
        let promotedAt = ContinuousClock.now
        for other in live where other.redisID != chosen.redisID {
            guard (try? await driver.replication(other.port, timeout: .milliseconds(500)))?.primaryPort != chosen.port else { continue }
            do {
                try await driver.replicate(other, of: chosen)
            } catch {
                logger.warning("\(cache)/\(shard): the replica on \(other.node) does not follow the new primary: \(error)")
            }
        }
        return .promoted(to: chosen.node, at: promotedAt)
    }

    private func setRoleAtFailure(_ role: CopyRole, of shard: String, on node: String, in cache: String) {
        guard let at = try? location(of: shard, in: cache),
              let k = state.caches[at.cache].shards[at.shard].copies.firstIndex(where: { $0.node == node }) else { return }
        state.caches[at.cache].shards[at.shard].copies[k].roleAtFailure = role
    }

    /// Persists the state; a failure's record must not stop its handling.
    private func record(_ what: String) {
        do { try persist() } catch { logger.error("could not record \(what): \(error)") }
    }
}

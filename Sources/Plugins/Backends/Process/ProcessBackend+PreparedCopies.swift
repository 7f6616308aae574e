import MaintenanceKit

extension ProcessBackend {
    /// Starts the copies of `shards` that `node` has not got, all at once, records them and
    /// introduces each to every server of the cache. Their handshakes (Redis completes them
    /// on its 100 ms cluster timer) run on while the moves proceed, so a node's copies cost
    /// one start-up between them, not one each. Each move attaches its copy
    /// (``addReplica(of:on:in:)``); until then a copy is an empty server that serves no slots
    /// and replicates nothing. A copy that does not start is logged and left to its move,
    /// which starts it again or says why it cannot.
    public func prepareCopies(of shards: [String], on node: String, in cache: String) async {
        guard let record = try? store.cache(cache) else { return }
        guard let version = record.nodes.first(where: { $0.id == node && $0.lifecycle == .active })?.version else {
            // A node to come: its copies start when `createNodes` has made it.
            if !record.nodes.contains(where: { $0.id == node && $0.lifecycle != .deleted }), underMaintenance.contains(cache) {
                preparationsForNewNodes[cache, default: [:]][node] = shards
            }
            return
        }
        let missing = record.shards.filter { shards.contains($0.id) && !$0.copies.contains { $0.node == node } }.map(\.id)
        guard !missing.isEmpty else { return }
        var phases = PhaseTimer()
        let logger = self.logger
        let started = await Concurrently.map(missing) { shard -> (String, ClusterState.Copy)? in
            do {
                return (shard, try await self.startCopy(shard: shard, node: node, version: version))
            } catch {
                logger.debug("copy of \(shard) on \(node) not prepared, its move starts it: \(error)")
                return nil
            }
        }.compactMap { $0 }
        do {
            for (shard, copy) in started {
                try store.addCopy(copy, to: shard, in: cache)
                unattached.insert(copy.redisID)
            }
            try store.persist()
        } catch {
            // A server the state does not record must not outlive this call.
            logger.warning("copies of \(node) not prepared, the state cannot record them: \(error)")
            for (shard, copy) in started {
                await shutDown(copy)
                try? store.removeCopy(copy.redisID, of: shard, in: cache)
                unattached.remove(copy.redisID)
            }
            return
        }
        await giveFreeConfigEpochs(to: started.map(\.1), in: cache)
        phases.lap("\(started.count) started")
        let introduced = await Concurrently.map(started) { _, copy in
            (try? await self.introduce(copy, in: cache)) != nil
        }
        phases.lap("introduced")
        let late = introduced.allSatisfy { $0 } ? "" : "; some not yet introduced, their moves do it"
        logger.debug("copies of \(started.map(\.0).joined(separator: ", ")) prepared on \(node): \(phases.description)\(late)")
    }

    /// Gives each of `copies` (new servers that know no other yet) a config epoch no primary of
    /// the cache holds, at most the newest. A prepared copy is a primary that serves no slots
    /// until its move; two such with the same epoch (a new server has 0) would collide, and
    /// Redis settles a collision by raising one past the cluster's newest epoch: news that the
    /// next failover would then wait for, since its new primary must have heard of it.
    /// Without a free epoch, or an answer, the copies keep 0 and Redis settles as it does.
    private func giveFreeConfigEpochs(to copies: [ClusterState.Copy], in cache: String) async {
        let ids = Set(copies.map(\.redisID))
        guard let record = try? store.cache(cache) else { return }
        // One server that runs is asked; each is looked at only if the one before is not.
        var reference: ClusterState.Copy?
        for copy in record.shards.flatMap(\.copies) where !ids.contains(copy.redisID) && !unattached.contains(copy.redisID) {
            if let running = await running([copy]).first {
                reference = running
                break
            }
        }
        guard let reference, let taken = try? await driver.primaryConfigEpochs(reference.address),
              let newest = try? await driver.currentEpoch(reference.address), newest > 0 else { return }
        let free = (1...newest).reversed().filter { !taken.contains($0) }
        for (copy, epoch) in zip(copies, free) {
            _ = try? await driver.run(copy.address, "CLUSTER", "SET-CONFIG-EPOCH", String(epoch))
        }
    }

    /// Counts as started ahead again the copies of `cache` that an earlier maintctl started
    /// and did not attach before it stopped (killed, or crashed): each a primary that serves no
    /// slots and has no replica, in a shard that another copy serves. The cluster's health
    /// then does not wait for them (a copy that joined moments before reports
    /// `cluster_state:fail` for 2 s: seen as 1.5 s of a rollback right after a kill), their
    /// moves attach them, and those that no move attaches are removed when the maintenance ends.
    func recognizeCopiesStartedAhead(in cache: String) async {
        guard let record = try? store.cache(cache) else { return }
        let driver = self.driver
        for shard in record.shards {
            let copies = await running(shard.copies.filter { !store.isOnFailedNode($0, in: cache) && !unattached.contains($0.redisID) })
            let readings = await Concurrently.map(copies) { copy in await ServerReading.read(copy.address, driver: driver) }
            guard readings.contains(where: \.serving) else { continue }
            for (copy, reading) in zip(copies, readings) {
                guard let replication = reading.replication, replication.isPrimary, !reading.serving,
                      replication.fields["connected_slaves"] == "0" else { continue }
                unattached.insert(copy.redisID)
                logger.debug("the copy of \(shard.id) on \(copy.node), started ahead of its move before maintctl stopped, is not attached yet")
            }
        }
    }

    /// Stops and forgets the copies of `cache` started ahead of moves that have not attached
    /// them (a rollout that stopped before them): empty servers serving nothing, which a
    /// resumed rollout starts again. One that cannot be removed now stays recorded, for the
    /// next move, `cluster down` or a rollback to find.
    func removeUnattachedCopies(of cache: String) async {
        guard let record = try? store.cache(cache) else { return }
        for shard in record.shards {
            for copy in shard.copies where unattached.contains(copy.redisID) {
                do {
                    try await retire(copy, in: cache)
                    try store.removeCopy(copy.redisID, of: shard.id, in: cache)
                    try store.persist()
                } catch {
                    logger.warning("the copy of \(shard.id) started ahead on \(copy.node) was not removed: \(error)")
                }
            }
        }
    }
}

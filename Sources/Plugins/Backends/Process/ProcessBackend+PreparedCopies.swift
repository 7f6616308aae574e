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
        guard let record = try? store.cache(cache),
              let version = record.nodes.first(where: { $0.id == node && $0.lifecycle == .active })?.version else { return }
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
        phases.lap("\(started.count) started")
        let introduced = await Concurrently.map(started) { _, copy in
            (try? await self.introduce(copy, in: cache)) != nil
        }
        phases.lap("introduced")
        let late = introduced.allSatisfy { $0 } ? "" : "; some not yet introduced, their moves do it"
        logger.debug("copies of \(started.map(\.0).joined(separator: ", ")) prepared on \(node): \(phases.description)\(late)")
    }
}

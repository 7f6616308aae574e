import Foundation
import MaintenanceKit

/// Faults brought about for real on a node's `redis-server` processes by the
/// ``FaultInjector``: `kill` crashes the node, `pause` stops its servers for a while (a
/// stalled VM). Slow links and partitions need control of the network between servers:
/// hosts of machines with addresses (ssh) bring them about on the node's machine; loopback
/// processes cannot, and the simulated backend rehearses them.
extension ProcessBackend: FaultInjecting {
    public nonisolated var injectableFaults: Set<FaultKind> { Set([.kill, .pause]).union(host.networkFaults) }

    /// Kills or pauses every server of the node `fault` targets; `.primaryOf(shard:)` is the
    /// node whose copy serves the shard's slots now. A pause ends by itself after its
    /// duration, and earlier when this cache's maintenance ends or the backend closes, so no
    /// server stays stopped; one whose maintctl died meanwhile runs again when the cluster
    /// is next attached to (or taken down).
    /// - Parameters:
    ///   - fault: A `kill`, or a `pause` with a duration.
    ///   - cache: The cache whose node it hits.
    /// - Returns: The node hit.
    /// - Throws: `BackendError` for a slow link or partition (not injectable here), a pause
    ///   without duration, an unknown, failed or empty node, or a shard without one primary.
    public func inject(_ fault: Fault, in cache: String) async throws -> String {
        guard injectableFaults.contains(fault.kind) else {
            let kinds = FaultKind.allCases.filter(injectableFaults.contains).map(\.rawValue).joined(separator: ", ")
            throw BackendError(.faultNotInjectable,
                               "the \(descriptor.id) backend cannot inject a '\(fault.kind.rawValue)' fault for real (it can: \(kinds)); "
                               + "rehearse it with --backend simulated")
        }
        _ = try store.cache(cache)
        let node = try await node(hitBy: fault.target, in: cache)
        // Looked up again after the await: copies may have changed meanwhile.
        let processes = await ours(try store.cache(cache).shards.flatMap(\.copies).filter { $0.node == node })
        guard !processes.isEmpty else {
            throw BackendError(.nodeNotRunning, "node '\(node)' of '\(cache)' runs no redis-server to \(fault.kind.rawValue)")
        }
        switch fault.kind {
        case .kill:
            // A crashed machine takes its endpoint down with its servers.
            if let current = try store.cache(cache).nodes.first(where: { $0.id == node }), let endpoint = hostedEndpoint(of: current) {
                await host.stopEndpoint(endpoint, grace: .zero)
            }
            await faults.crash(processes, of: location(of: node))
            await awaitVerdict(on: node, in: cache)
        case .pause: try await pauseProcesses(processes, of: node, in: cache, for: fault.duration)
        case .partition:
            let peers = try store.cache(cache).nodes.filter { $0.id != node && $0.lifecycle != .deleted }.compactMap(\.host)
            try await host.partition(location(of: node), from: peers, for: try networkFaultDuration(fault, on: node))
            await awaitVerdict(on: node, in: cache)
        case .slow:
            let how = try await host.slow(location(of: node), factor: max(1, fault.slowdown ?? 2), for: try networkFaultDuration(fault, on: node))
            logger.notice("\(node) of \(cache) slowed: \(how)")
        }
        logger.notice("injected \(fault) in \(cache): \(node), pids \(processes.map(\.pid))")
        return node
    }

    /// How long a partition or slow link lasts: it must say.
    private func networkFaultDuration(_ fault: Fault, on node: String) throws -> Duration {
        guard let duration = fault.duration, duration > .zero else {
            throw BackendError(.pauseNeedsDuration, "a \(fault.kind.rawValue) needs a duration, e.g. '\(fault.kind.rawValue) \(node) 2s'")
        }
        return duration
    }

    /// While a detector watches the cache, waits (a bounded time) until it has declared the
    /// killed node down and promoted its replicas, as the simulated backend does: a rehearsal
    /// then applies `on_unplanned_failure` at the next action boundary, not a node later.
    func awaitVerdict(on node: String, in cache: String) async {
        guard detectors[cache] != nil, (try? store.cache(cache)) != nil else { return }
        let deadline = ContinuousClock.now + detection.downAfter * 2 + .seconds(3)
        while ContinuousClock.now < deadline, store.node(node, in: cache)?.lifecycle != .failed {
            try? await Task.sleep(for: detection.heartbeat / 4)
        }
    }

    /// The node a fault target names, which must be up.
    private func node(hitBy target: FaultTarget, in cache: String) async throws -> String {
        let record = try store.cache(cache)
        switch target {
        case let .node(id):
            guard let node = record.nodes.first(where: { $0.id == id }) else {
                throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(id)'")
            }
            guard ![.failed, .removed, .deleted].contains(node.lifecycle) else {
                throw BackendError(.nodeNotLive, "node '\(id)' of '\(cache)' is \(node.lifecycle.rawValue), not up in the cluster")
            }
            return id
        case let .primaryOf(shard):
            let copies = try store.shard(shard, in: cache).copies
            let failed = Set(record.nodes.filter { $0.lifecycle == .failed }.map(\.id))
            // A busy machine may leave a primary's answer late: it is asked again (up to three
            // times, 3 s each) before the shard is said to have none.
            var primaries: [String] = []
            for attempt in 1...3 where primaries.isEmpty {
                if attempt > 1 { try await Task.sleep(for: .milliseconds(200)) }
                for (copy, condition) in zip(copies, await conditions(of: copies))
                where !failed.contains(copy.node) && condition != .stopped {
                    if (try? await driver.isServingPrimary(copy.address, timeout: .seconds(3))) == true { primaries.append(copy.node) }
                }
            }
            guard primaries.count == 1, let node = primaries.first else {
                throw BackendError(.noSinglePrimary, "shard '\(shard)' of '\(cache)' has \(primaries.count) primaries answering; no node to hit")
            }
            return node
        }
    }

    /// Records the pause, then has the injector SIGSTOP the processes and SIGCONT them when
    /// `duration` is over.
    private func pauseProcesses(_ processes: [ClusterState.Copy], of node: String, in cache: String, for duration: Duration?) async throws {
        guard let duration, duration > .zero else {
            throw BackendError(.pauseNeedsDuration, "a pause needs a duration, e.g. 'pause \(node) 2s'")
        }
        guard await faults.canEndPauses() else {
            throw BackendError(.backgroundNotRunning, "cannot pause \(node): nothing would end the pause (Backend.run() is not running)")
        }
        let location = location(of: node)
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        // Recorded before the first SIGSTOP: whatever happens next, someone can resume them.
        // Records of pauses that are over (their maintctl died) go: they must not end this one.
        let now = Date().timeIntervalSince1970
        store.state.pauses = (store.state.pauses ?? []).filter { $0.resumeAt > now }
            + [ClusterState.Pause(cache: cache, node: node, processes: processes.map { ClusterState.PausedProcess(pid: $0.pid, port: $0.port) },
                                  resumeAt: now + seconds, host: location.address)]
        try store.persist()
        try await faults.pause(processes.map(\.server), of: node, for: duration) { [weak self] key in await self?.pauseEnded(key) }
    }

    /// Forgets the record of a pause whose processes run again.
    private func pauseEnded(_ key: Int32) {
        guard let pauses = store.state.pauses, pauses.contains(where: { $0.processes.first?.pid == key }) else { return }
        store.state.pauses = pauses.filter { $0.processes.first?.pid != key }
        // A cluster taken down meanwhile (by another maintctl) has no state left to update.
        guard store.isRecorded else { return }
        do { try store.persist() } catch { logger.warning("could not record the end of a pause: \(error)") }
    }

    /// Ends now the pauses this instance injected that match `which`: their processes run again.
    func endPauses(_ which: (ClusterState.Pause) -> Bool) async {
        var ending: [ClusterState.Pause] = []
        for pause in store.state.pauses ?? [] where which(pause) {
            if let key = pause.processes.first?.pid, await faults.isPausing(key) { ending.append(pause) }
        }
        await faults.end(ending)
    }

    /// Resumes the recorded pauses that should be over: their maintctl died before it could.
    public func resumeOverduePauses() async {
        let now = Date().timeIntervalSince1970
        for pause in store.state.pauses ?? [] where pause.resumeAt <= now { await host.signal(.resume, to: pause.servers) }
    }

    /// Resumes every recorded pause, whoever injected it.
    func resumeAllPauses() async {
        for pause in store.state.pauses ?? [] { await host.signal(.resume, to: pause.servers) }
    }
}

import Foundation
import MaintenanceKit
import RedisWire

/// Watches the servers of one cache and declares a node down when it has stopped answering;
/// the backend then promotes a replica of every primary the node held
/// (``ProcessBackend/declareDown(_:in:lastAnswer:declaredAt:)``).
///
/// **Heartbeats.** Every shard-copy process of every node (failed nodes too, to notice their
/// return) gets a `PING` every `heartbeat` on a connection of its own, with a connect timeout
/// of one heartbeat and a reply timeout of two; a reply of any kind, `-LOADING` included,
/// means the process runs. A copy maintctl stopped on purpose (retired, restarted) is not
/// watched, and an answer from a server that is no longer ours (its pid gone) does not count.
/// A copy is silent since the first PING after its last answer that got none (refused, timed
/// out): silence is measured from a question left unanswered, not from the last answer, which
/// may be up to a heartbeat older than the stall.
///
/// **Observers and quorum.** A node is declared down when *all* of the following hold:
/// 1. observer 1, maintctl's heartbeat: every copy of the node has been silent for at least
///    `downAfter`;
/// 2. at least `quorum - 1` other live nodes agree, each node counting once whatever number
///    of servers it runs (an observer is a failure domain). A node agrees when one of its
///    servers that answers us says, in its own `CLUSTER NODES`, that it cannot reach one of the
///    suspect's copies: the copy is flagged `fail?` or `fail`, its cluster-bus link is
///    `disconnected`, or a cluster-bus ping to it has gone unanswered for a heartbeat or more;
/// 3. maintctl itself was not stalled: a detector round that starts more than
///    `max(2 * heartbeat, downAfter / 2)` after the previous one declares nothing, since every
///    silence it measures may be its own.
///
/// Why these choices, with the defaults (100 ms, 750 ms, quorum 2):
/// - A SIGSTOPped server keeps its sockets: the kernel still completes connections and the
///   cluster-bus links stay up, so only silence tells it apart. A 500 ms stall is silent for
///   at most 500 ms at observer 1 (the PING pending when it ends is answered at once), a
///   quarter of a second short of 750 ms, so it causes no failover whatever the peers say.
/// - A SIGKILLed server's sockets are closed by the kernel: maintctl's next connect is refused,
///   and every peer's bus link turns `disconnected` within its next 100 ms cron (a peer that
///   reconnects keeps the unanswered ping's time, which then ages). Both observers agree as
///   soon as the 750 ms have passed: the node is declared 0.8–0.9 s after its last answer
///   and its replica serves 5–10 ms later (`maintctl-bench --unplanned 20`, 2 cores, two runs
///   of 20 kills: detection p50 858 ms, max 875 ms; promotion p50 6–7 ms, max 9.8 ms;
///   together max 882 ms).
/// - A longer stall is declared once a peer also has a ping pending to it: Redis pings each
///   node at least every `cluster-node-timeout / 2` (2.5 s, the worst case) and a random one
///   every 100 ms cron, so with four peer servers one is usually pending within the 750 ms;
///   in the tests a 5 s stall was declared 0.80–0.87 s after its last answer. A stalled node
///   that comes back finds its slots owned by a newer config epoch and turns replica by
///   itself; the detector then gives it back its earlier lifecycle.
/// - Requiring a peer keeps a stall of maintctl itself, or of the loopback path from maintctl,
///   from failing over healthy nodes: their peers still hear them.
///
/// **Redis's own failover does not compete.** The servers run with `cluster-node-timeout`
/// 5000: Redis flags a node failing only after 5 s and a replica starts its election 0.5–1 s
/// later (6.6–8.3 s after a SIGKILL in 3 trials), long after this detector has promoted one.
/// It stays on as the safety net when no maintctl watches the cluster; `CLUSTER FAILOVER
/// TAKEOVER` needs no vote, so planned failovers are unaffected.
///
/// **Finding: this detector is faster and safer than Redis's own failover tuned down.** With
/// `cluster-node-timeout` 750 ms Redis's own failover took p50 2.0 s, max 2.3 s (the same two
/// benchmark runs, 10 kills), against p50 0.86 s, max 0.88 s here: Redis waits for the
/// timeout, then for a majority of primaries to agree, then 0.5–1 s of election delay; this
/// detector reacts to a question left unanswered, corroborated by the cluster's own view,
/// and promotes without an election. Safer, because a 750 ms timeout would let Redis fail
/// over on its own after any 750 ms stall of a busy server, at any time, in the middle of a
/// planned failover or a migration and unknown to the rollout; here a failover happens only
/// while maintctl watches, is reported to the rollout (whose `on_unplanned_failure` policy
/// decides what follows), takes the in-sync replica with the highest offset and is verified.
/// (The replica choice itself is as good in Redis, which ranks replicas by offset.)
struct FailureDetector: Sendable {
    let cache: String
    let settings: FailureDetection
    let backend: ProcessBackend

    /// Watches until cancelled: heartbeats run as child tasks, one per copy, and this loop
    /// judges their results four times a heartbeat (a silence is judged within a quarter
    /// heartbeat of reaching `downAfter`).
    func run() async {
        let board = HeartbeatBoard()
        var peerLinks: [Int: RedisConnection] = [:]
        await withTaskGroup(of: Void.self) { group in
            var beating: Set<WatchedCopy> = []
            var previousRound = ContinuousClock.now
            while !Task.isCancelled {
                let round = ContinuousClock.now
                guard let nodes = await backend.watchedNodes(in: cache) else { break }
                let copies = Set(nodes.flatMap(\.copies))
                await board.watch(copies, since: round)
                for copy in copies.subtracting(beating) {
                    group.addTask { await Self.heartbeat(copy, board: board, settings: settings, password: backend.password) }
                }
                beating = copies
                // A late round means maintctl was stalled: the silences it would measure are its own.
                let stalled = round - previousRound > max(settings.heartbeat * 2, settings.downAfter / 2)
                previousRound = round
                if !stalled {
                    await judge(nodes, board: board, peerLinks: &peerLinks)
                }
                try? await Task.sleep(until: round + settings.heartbeat / 4, clock: .continuous)
            }
            await board.watch([], since: .now)
            group.cancelAll()
        }
        for link in peerLinks.values { await link.close() }
    }

    /// Declares the nodes that are down and takes back the failed ones that answer again.
    private func judge(_ nodes: [WatchedNode], board: HeartbeatBoard, peerLinks: inout [Int: RedisConnection]) async {
        let now = ContinuousClock.now
        for node in nodes where !node.copies.isEmpty {
            let lastAnswers = await node.copies.asyncMap { await board.lastAnswer(of: $0) }
            let lastAnswer = lastAnswers.max() ?? now
            if node.failed {
                // Back: every copy answered within the last two heartbeats.
                if let oldest = lastAnswers.min(), now - oldest <= settings.heartbeat * 2 {
                    await backend.takeBack(node.id, in: cache)
                }
                continue
            }
            // Silent since the latest of its copies' silences began; nil while one answers.
            let silences = await node.copies.asyncMap { await board.silentSince(of: $0) }
            guard !silences.contains(nil), let silentSince = silences.compactMap({ $0 }).max(),
                  now - silentSince >= settings.downAfter else { continue }
            let agreeing = await peersAgreeing(that: node, among: nodes, board: board, peerLinks: &peerLinks)
            guard 1 + agreeing >= settings.quorum else { continue }
            guard await !answersNow(node, board: board) else { continue }
            await backend.declareDown(node.id, in: cache, lastAnswer: lastAnswer, declaredAt: ContinuousClock.now)
        }
    }

    /// The last word before a verdict: a fresh `PING` to each of the node's servers, at once.
    /// One that answers is not down: a stall that has just ended, or an answer maintctl had not
    /// read yet because it was itself short of CPU (seen on a loaded 2-core machine). A killed
    /// server refuses the connection at once, so this costs a crash nothing; a server still
    /// stalled costs up to `confirmationTimeout` more.
    private func answersNow(_ node: WatchedNode, board: HeartbeatBoard) async -> Bool {
        let timeout = Self.confirmationTimeout
        let answering = await withTaskGroup(of: WatchedCopy?.self) { group in
            for copy in node.copies {
                group.addTask {
                    guard let link = try? await RedisConnection.connect(port: copy.port, timeout: timeout, password: backend.password) else { return nil }
                    let reply = try? await link.send(["PING"], timeout: timeout)
                    await link.close()
                    return reply != nil && RedisServerProcess.isOurs(pid: copy.pid, port: copy.port) ? copy : nil
                }
            }
            var answering: [WatchedCopy] = []
            for await copy in group { if let copy { answering.append(copy) } }
            return answering
        }
        for copy in answering { await board.answered(copy, at: .now) }
        return !answering.isEmpty
    }

    /// How long the last word before a verdict may take.
    static let confirmationTimeout: Duration = .milliseconds(500)

    /// How many other live nodes cannot reach `suspect` either, by their servers' own view of
    /// the cluster; it stops counting at the quorum.
    private func peersAgreeing(that suspect: WatchedNode, among nodes: [WatchedNode], board: HeartbeatBoard,
                               peerLinks: inout [Int: RedisConnection]) async -> Int {
        let suspectIDs = Set(suspect.copies.map(\.redisID))
        let now = ContinuousClock.now
        var agreeing = 0
        for peer in nodes where peer.id != suspect.id && !peer.failed {
            guard 1 + agreeing < settings.quorum else { break }
            for copy in peer.copies where now - (await board.lastAnswer(of: copy)) < settings.downAfter {
                guard let view = await clusterNodes(copy.port, peerLinks: &peerLinks) else { continue }
                let nowMS = Int64(Date().timeIntervalSince1970 * 1000)
                let waitedMS = settings.heartbeat.milliseconds
                if view.contains(where: { suspectIDs.contains($0.id) && $0.cannotReach(nowMS: nowMS, afterMS: waitedMS) }) {
                    agreeing += 1
                    break
                }
            }
        }
        return agreeing
    }

    /// One server's `CLUSTER NODES`, or nil when it does not answer within two heartbeats.
    private func clusterNodes(_ port: Int, peerLinks: inout [Int: RedisConnection]) async -> [PeerView]? {
        do {
            let link: RedisConnection
            if let existing = peerLinks[port] {
                link = existing
            } else {
                link = try await RedisConnection.connect(port: port, timeout: settings.heartbeat, password: backend.password)
                peerLinks[port] = link
            }
            let text = try await link.send(["CLUSTER", "NODES"], timeout: settings.heartbeat * 2).string ?? ""
            return text.split(whereSeparator: \.isNewline).compactMap { PeerView(line: $0) }
        } catch {
            if let link = peerLinks.removeValue(forKey: port) { await link.close() }
            return nil
        }
    }

    /// PINGs one copy every heartbeat while it is watched, recording each answer.
    private static func heartbeat(_ copy: WatchedCopy, board: HeartbeatBoard, settings: FailureDetection, password: String?) async {
        var link: RedisConnection?
        while !Task.isCancelled, await board.isWatched(copy) {
            let sent = ContinuousClock.now
            do {
                let current: RedisConnection
                if let link { current = link } else {
                    current = try await RedisConnection.connect(port: copy.port, timeout: settings.heartbeat, password: password)
                    link = current
                }
                _ = try await current.send(["PING"], timeout: settings.heartbeat * 2)
                // Whoever answers on the port must still be our server.
                if RedisServerProcess.isOurs(pid: copy.pid, port: copy.port) {
                    await board.answered(copy, at: .now)
                } else {
                    await board.unanswered(copy, sentAt: sent)
                }
            } catch {
                await board.unanswered(copy, sentAt: sent)
                await link?.close()
                link = nil
            }
            try? await Task.sleep(until: sent + settings.heartbeat, clock: .continuous)
        }
        await link?.close()
    }
}

/// A node the detector watches, and its copies' processes.
struct WatchedNode: Sendable {
    var id: String
    /// Declared down already: watched only to notice its return.
    var failed: Bool
    var copies: [WatchedCopy]
}

/// One watched server: a pid on a port (a restarted copy on the same port is another one).
struct WatchedCopy: Sendable, Hashable {
    var port: Int
    var pid: Int32
    var redisID: String
}

extension Array where Element: Sendable {
    /// `map` with an async transform, in order, one element at a time.
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var results: [T] = []
        results.reserveCapacity(count)
        for element in self { results.append(await transform(element)) }
        return results
    }
}

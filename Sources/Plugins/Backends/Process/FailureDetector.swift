import Foundation
import MaintenanceKit
import RedisWire

/// Watches the nodes of one cache during a rollout and declares a node down when it has
/// stopped answering; the backend then promotes a replica of every primary the node held
/// (``ProcessBackend/declareDown(_:in:lastAnswer:declaredAt:)``) and the rollout applies its
/// `on_unplanned_failure` policy.
///
/// **One detector: the endpoints.** maintctl does not heartbeat the servers itself. Every node's
/// endpoint heartbeats every server of the cache (a `PING` every 200 ms on a connection of its
/// own) with or without a rollout, and answers `MAINTCTL.HEALTH` with how long each has been
/// silent: zero while it answers, else since the first `PING` it left unanswered, or since its
/// last answer once it refused or closed the connection (a killed process; a stopped one keeps
/// its sockets, so a stall is never measured longer than it lasted). This detector asks every
/// endpoint each `heartbeat`; while it watches, the endpoints only observe (their own healing is
/// paused by a lease), so one party acts on one set of observations.
///
/// **Observers and quorum.** A node is declared down when *all* of the following hold:
/// 1. `min(quorum, n)` endpoints agree, `n` being the running endpoints of the cache's other
///    live nodes (a node's own endpoint never votes on it; each node counts once): an endpoint
///    agrees when every server of the suspect that it watches has been silent for `downAfter`,
///    counted at most from when maintctl began to watch that server (a copy it restarted is
///    new evidence, not old silence);
/// 2. a last `PING` from maintctl to each of the node's servers goes unanswered (an endpoint
///    short of CPU reads answers late; this can only veto). maintctl's own stalls measure
///    nothing: the endpoints time the silences.
/// A node that maintctl cannot reach but the endpoints can is therefore never failed over, and
/// a node cut off from one endpoint only finds no quorum.
///
/// Why these choices, with the defaults (100 ms, 750 ms, quorum 2):
/// - A SIGSTOPped server keeps its sockets: only silence tells it apart. A 500 ms stall is silent
///   for at most 500 ms at every endpoint, a quarter of a second short of 750 ms, so it causes no
///   failover.
/// - A SIGKILLed server refuses the next heartbeat (at most 200 ms later), which dates its
///   silence from its last answer: the node is declared about 0.8–0.9 s after it died and its
///   replica serves a few milliseconds later.
/// - A failed node's servers are still pinged by maintctl (every heartbeat, only theirs), to
///   notice their return: a stalled node that comes back finds its slots owned by a newer
///   config epoch and turns replica by itself; the detector then gives it back its earlier
///   lifecycle.
///
/// **Redis's own failover does not compete.** The servers run with `cluster-node-timeout`
/// 5000: Redis flags a node failing only after 5 s and a replica starts its election 0.5–1 s
/// later, long after this detector has promoted one. It stays on as the safety net when
/// neither maintctl nor the endpoints act; `CLUSTER FAILOVER TAKEOVER` needs no vote, so
/// planned failovers are unaffected.
///
/// **Finding: this is faster and safer than Redis's own failover tuned down.** With
/// `cluster-node-timeout` 750 ms Redis's own failover took p50 2.0 s, max 2.3 s (10 kills),
/// against p50 0.86 s, max 0.88 s with maintctl's detection: Redis waits for the timeout, then
/// for a majority of primaries to agree, then 0.5–1 s of election delay. Safer, because a 750 ms
/// timeout would let Redis fail over on its own after any 750 ms stall of a busy server, in the
/// middle of a planned failover or a migration and unknown to the rollout; here a failover
/// during a rollout is reported to it, takes the in-sync replica with the highest offset and is
/// verified.
struct FailureDetector: Sendable {
    let cache: String
    let settings: FailureDetection
    let backend: ProcessBackend
    /// Watches until cancelled: each `heartbeat` it reads the endpoints' reports and judges
    /// them; the servers of failed nodes get heartbeats of maintctl's own, as child tasks, to
    /// notice their return.
    func run() async {
        let board = HeartbeatBoard()
        let poll = EndpointHealthPoll(password: backend.password, tls: backend.tls)
        await withTaskGroup(of: Void.self) { group in
            var beating: Set<WatchedCopy> = []
            var watchedSince: [WatchedCopy: ContinuousClock.Instant] = [:]
            var starved = false
            while !Task.isCancelled {
                let round = ContinuousClock.now
                guard let nodes = await backend.watchedNodes(in: cache) else { break }
                // Endpoints that report tell who is silent; without any (nodes on machines of
                // their own, or every endpoint down) maintctl heartbeats every server itself.
                let endpointsReport = nodes.contains { $0.endpoint != nil }
                let returning = Set(nodes.filter(\.failed).flatMap(\.copies))
                let live = Set(nodes.filter { !$0.failed }.flatMap(\.copies))
                // A returning copy begins to be watched as long silent: it is back only once it
                // answers. Without endpoints, maintctl heartbeats the live copies too.
                var watched = Dictionary(returning.map { ($0, round - settings.downAfter) }, uniquingKeysWith: { first, _ in first })
                if !endpointsReport { for copy in live { watched[copy] = round } }
                await board.watch(watched)
                for copy in Set(watched.keys).subtracting(beating) {
                    group.addTask { await Self.heartbeat(copy, board: board, settings: settings, password: backend.password, tls: backend.tls) }
                }
                beating = Set(watched.keys)
                watchedSince = watchedSince.filter { live.contains($0.key) }
                for copy in live where watchedSince[copy] == nil { watchedSince[copy] = round }
                let observers = Set(nodes.filter { !$0.failed }.compactMap(\.endpoint))
                let reports = await poll.reports(from: observers, timeout: Self.reportTimeout)
                // maintctl itself short of CPU (its wake-up a heartbeat late): its last word to a
                // server could time out for that alone, so no verdict this round.
                if !starved {
                    await judge(nodes, reports: endpointsReport ? reports : nil, watchedSince: watchedSince, board: board)
                }
                let wake = max(round + settings.heartbeat, .now)
                try? await Task.sleep(until: wake, clock: .continuous)
                starved = ContinuousClock.now - wake >= max(settings.heartbeat, Self.starvation)
            }
            await board.watch([:])
            group.cancelAll()
        }
        await poll.close()
    }

    /// How late a wake-up must be to take maintctl for starved of CPU.
    static let starvation: Duration = .milliseconds(100)

    /// How long an endpoint may take to report.
    static let reportTimeout: Duration = .milliseconds(250)

    /// Declares the nodes that are down and takes back the failed ones that answer again.
    /// - Parameter reports: The endpoints' reports by endpoint port; nil: maintctl's own heartbeats judge.
    private func judge(_ nodes: [WatchedNode], reports: [Int: EndpointHealthPoll.Report]?,
                       watchedSince: [WatchedCopy: ContinuousClock.Instant], board: HeartbeatBoard) async {
        let now = ContinuousClock.now
        for node in nodes where !node.copies.isEmpty {
            if node.failed {
                // Back: every copy answered within the last two heartbeats.
                let lastAnswers = await node.copies.asyncMap { await board.lastAnswer(of: $0) }
                if let oldest = lastAnswers.min(), now - oldest <= settings.heartbeat * 2 {
                    await backend.takeBack(node.id, in: cache)
                }
                continue
            }
            let silence: Duration
            if let reports {
                let observers = nodes.filter { $0.id != node.id && !$0.failed }.compactMap(\.endpoint)
                let heard = observers.compactMap { reports[$0] }
                let limits = Dictionary(node.copies.map { ($0.address.port, now - (watchedSince[$0] ?? now)) }, uniquingKeysWith: min)
                guard let agreed = Self.agreedSilence(of: limits, in: heard, downAfter: settings.downAfter,
                                                      quorum: min(settings.quorum, observers.count)) else { continue }
                guard await !answersNow(node) else { continue }
                silence = agreed
            } else {
                // maintctl's own heartbeats; then the other nodes' machines are asked, so that
                // a node only maintctl cannot reach is not failed over.
                let lastAnswers = await node.copies.asyncMap { await board.lastAnswer(of: $0) }
                guard let latest = lastAnswers.max(), now - latest >= settings.downAfter else { continue }
                async let answers = answersNow(node)
                async let reached = backend.othersReach(node.copies.map(\.address), of: node.id, in: cache)
                let (answered, reachedByOthers) = await (answers, reached)
                guard !answered else { continue }
                if reachedByOthers {
                    await backend.noteReachedOnlyByOthers(node.id, in: cache)
                    continue
                }
                silence = now - latest
            }
            await backend.declareDown(node.id, in: cache, lastAnswer: now - silence, declaredAt: ContinuousClock.now)
        }
    }

    /// How long a node has been silent, when at least `quorum` (and one) of `reports` agree it
    /// has been for `downAfter`: a report agrees when every server of the node it watches
    /// (`limits`, each server's port and how long it has been watched) has been silent that
    /// long, counted at most from when it began to be watched. Nil when too few agree.
    static func agreedSilence(of limits: [Int: Duration], in reports: [EndpointHealthPoll.Report], downAfter: Duration,
                              quorum: Int) -> Duration? {
        let silences = reports.compactMap { report -> Duration? in
            let heard = limits.compactMap { port, limit in report[port].map { min($0, limit) } }
            guard let shortest = heard.min(), shortest >= downAfter else { return nil }
            return shortest
        }
        guard silences.count >= max(1, quorum) else { return nil }
        return silences.max()
    }

    /// The last word before a verdict: a fresh `PING` to each of the node's servers, at once.
    /// One that answers is not down: a stall that has just ended, or an answer maintctl had not
    /// read yet because it was itself short of CPU (seen on a loaded 2-core machine). A killed
    /// server refuses the connection at once, so this costs a crash nothing; a server still
    /// stalled costs up to `confirmationTimeout` more.
    private func answersNow(_ node: WatchedNode) async -> Bool {
        let timeout = Self.confirmationTimeout(tls: backend.tls != nil)
        return await withTaskGroup(of: Bool.self) { group in
            for copy in node.copies {
                group.addTask {
                    guard let link = try? await RedisConnection.connect(host: copy.address.host, port: copy.address.port, timeout: timeout,
                                                                        password: backend.password, tls: backend.tls) else { return false }
                    let reply = try? await link.send(["CLUSTER", "MYID"], timeout: timeout)
                    await link.close()
                    // Whoever answers at the address must be our server.
                    return reply?.string == copy.redisID
                }
            }
            for await answered in group where answered { return true }
            return false
        }
    }

    /// How long the last word before a verdict may take: a connection and one answer; with TLS
    /// a handshake too, which a loaded 2-core machine was seen to take over 500 ms for.
    static func confirmationTimeout(tls: Bool) -> Duration { tls ? .seconds(1) : .milliseconds(500) }

    /// PINGs one copy of a failed node every heartbeat while it is watched, recording each answer.
    private static func heartbeat(_ copy: WatchedCopy, board: HeartbeatBoard, settings: FailureDetection, password: String?, tls: RedisTLS?) async {
        var link: RedisConnection?
        while !Task.isCancelled, await board.isWatched(copy) {
            let sent = ContinuousClock.now
            do {
                if let current = link {
                    // The same process answers everything sent on one connection.
                    _ = try await current.send(["PING"], timeout: settings.heartbeat * 2)
                    await board.answered(copy, at: .now)
                } else {
                    let fresh = try await RedisConnection.connect(host: copy.address.host, port: copy.address.port, timeout: settings.heartbeat,
                                                                  password: password, tls: tls)
                    // Whoever answers at the address must be our server. One that answers an
                    // error (still loading its data) is alive, and asked again next time.
                    let identity = try await fresh.send(["CLUSTER", "MYID"], timeout: settings.heartbeat * 2)
                    if identity.isError {
                        await fresh.close()
                        await board.answered(copy, at: .now)
                    } else if identity.string == copy.redisID {
                        link = fresh
                        await board.answered(copy, at: .now)
                    } else {
                        await fresh.close()
                        await board.unanswered(copy, sentAt: sent)
                    }
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
    /// The port of its endpoint, when one runs: it reports on the other nodes.
    var endpoint: Int?
}

/// One watched server: a pid on a port (a restarted copy on the same port is another one).
struct WatchedCopy: Sendable, Hashable {
    var address: ServerAddress
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

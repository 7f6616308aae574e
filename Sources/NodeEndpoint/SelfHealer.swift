import Logging
import RedisWire

/// The cache's always-on failure detector, run by every endpoint and acted on by one: the
/// endpoint of the leader node (the one `elect_leader` chose) fails over a primary that has
/// been silent for `downAfter` once a quorum of endpoints, on distinct nodes, also find it
/// silent and it leaves a last `PING` on a new connection unanswered: a crashed primary's
/// replica (its link dropped) is promoted, and so is one of a primary whose machine takes no
/// connection at all (down, or cut off from the network: its replicas' links stay up until
/// `repl-timeout`; failed over in about 1.3 s, long before Redis's own failover after
/// `cluster-node-timeout`). A primary that takes the connection but does not answer (stalled,
/// or a loaded machine) is left to Redis's own failover. A stall shorter than `downAfter` fails
/// nothing over, and an endpoint cut off from one server alone finds no quorum. While a rollout runs, maintctl acts on the endpoints'
/// observations itself (`MAINTCTL.HEALTH`) and pauses the healing through the control channel,
/// a lease it keeps renewing, so that one party acts on them; a maintctl that dies lets the
/// lease run out.
actor SelfHealer {
    struct Settings: Sendable {
        var downAfter: Duration
        var heartbeat: Duration
        var coordinates: Bool
        var peers: [ServerAddress]
        /// The endpoints ahead of this one in the line of succession (the leader's first): it
        /// coordinates in their stead while none of them answers. Empty: it never does.
        var standsInAfter: [ServerAddress] = []
    }

    private var settings: Settings
    private let keeper: SlotMapKeeper
    private let shared: EndpointShared
    private let password: Secret?
    private let tls: RedisTLS?
    private let logger: Logger
    private var pausedUntil: ContinuousClock.Instant?
    /// When a primary was last acted on: it is not tried again for `retryAfter` (a replica whose
    /// link had not dropped yet, a peer that had not answered).
    private var attempts: [ServerAddress: ContinuousClock.Instant] = [:]
    private(set) var promotions = 0
    /// A promotion is under way: a pause waits for it to end.
    private(set) var isPromoting = false
    private static let retryAfter = Duration.seconds(1)
    /// How much longer a primary must be silent for each endpoint ahead of this one in line.
    static let standInDelay = Duration.milliseconds(500)

    init(settings: Settings, keeper: SlotMapKeeper, shared: EndpointShared, password: Secret?, tls: RedisTLS?, logger: Logger) {
        self.settings = settings
        self.keeper = keeper
        self.shared = shared
        self.password = password
        self.tls = tls
        self.logger = logger
    }

    // MARK: What maintctl says

    func coordinate(_ coordinates: Bool) {
        settings.coordinates = coordinates
        settings.standsInAfter = []
    }

    func standIn(after endpoints: [ServerAddress]) {
        settings.coordinates = false
        settings.standsInAfter = endpoints
    }

    func setPeers(_ peers: [ServerAddress]) { settings.peers = peers }
    func pause(for duration: Duration) { pausedUntil = .now + duration }
    func resume() { pausedUntil = .now }

    var isCoordinating: Bool { settings.coordinates }
    var standsInAfter: [ServerAddress] { settings.standsInAfter }
    var isPaused: Bool { pausedUntil.map { $0 > .now } ?? false }

    // MARK: Watching

    /// Checks the primaries every heartbeat until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            // Four times a heartbeat: a silence is judged at most a quarter heartbeat after it is long enough.
            let wake = ContinuousClock.now + settings.heartbeat / 4
            try? await Task.sleep(until: wake)
            // Woken a heartbeat late: this endpoint was short of CPU, and what it heard (or did
            // not) meanwhile may still be unread. No verdict this round.
            guard ContinuousClock.now - wake < max(settings.heartbeat, .milliseconds(100)) else { continue }
            guard settings.coordinates || !settings.standsInAfter.isEmpty, !isPaused, let map = await keeper.map else { continue }
            // Silence counts from the end of a pause at the earliest: what maintctl's rollout did
            // while it watched (servers it restarted) is no evidence.
            let since = pausedUntil.map { ContinuousClock.now - $0 }
            let silences = Dictionary(shared.silences.map { entry in (entry.server, since.map { min($0, entry.silence) } ?? entry.silence) },
                                      uniquingKeysWith: max)
            // A stand-in waits longer the further back it is in line: the endpoints ahead act
            // first when they can (one that is only slow to answer a PING is not taken for gone).
            let needed = settings.downAfter + Self.standInDelay * settings.standsInAfter.count
            let unheard = Set(shared.silences.filter { $0.silence >= settings.downAfter / 2 }.map(\.server))
            for shard in map.shards {
                guard let silence = silences[shard.primary], silence >= needed else { continue }
                if let last = attempts[shard.primary], ContinuousClock.now - last < Self.retryAfter { continue }
                await confirmAndHeal(shard, silence: silence, unheard: unheard)
            }
        }
    }

    /// Asks the peers whether they find `shard`'s primary silent too and, at the same time, the
    /// primary itself once more on a new connection (the last word); fails it over when a
    /// majority of the endpoints (this one included) find it silent and it does not answer.
    /// - Parameter unheard: The servers this endpoint does not hear either (on the same machine
    ///   as the primary, when that is cut off): not asked during the promotion.
    private func confirmAndHeal(_ shard: SlotMap.Shard, silence: Duration, unheard: Set<ServerAddress>) async {
        let primary = shard.primary
        let peers = settings.peers
        let voters = peers.count + 1
        async let lastWord = lastWord(to: primary)
        async let aheadAnswers = anyAnswers(settings.coordinates ? [] : settings.standsInAfter)
        let votes = await majorityFindsSilent(primary, among: peers)
        // An endpoint ahead in the line is alive: it decides (it hears what this one hears, or
        // finds no quorum for it).
        guard await !aheadAnswers else {
            attempts[primary] = .now
            return
        }
        let word = await lastWord
        guard word != .answered else {
            logger.info("\(primary) silent for \(silence) to the endpoints' heartbeats, but it answers a new connection: no failover")
            attempts[primary] = .now
            return
        }
        guard votes * 2 > voters else {
            logger.info("\(primary) silent for \(silence) here, but only \(votes) of \(voters) endpoints find it silent: no failover")
            attempts[primary] = .now
            return
        }
        attempts[primary] = .now
        // Not paused meanwhile (a rollout that began while the peers were asked acts itself).
        guard !isPaused else { return }
        let started = ContinuousClock.now
        isPromoting = true
        defer { isPromoting = false }
        do {
            let servers = Array(await keeper.knownServers)
            let promoted = try await Promotion(password: password, tls: tls).promoteBestReplica(of: shard, servers: servers, unheard: unheard,
                                                                                                 linksMayBeUp: word == .unreachable)
            promotions += 1
            logger.warning("\(primary) silent for \(silence), confirmed by \(votes) of \(voters) endpoints: promoted \(promoted) in \(ContinuousClock.now - started)")
            try? await keeper.refresh()
            for peer in peers { await tell(peer, "MAINTCTL.RELOAD") }
        } catch {
            logger.warning("cannot fail over \(primary): \(error)")
        }
    }

    /// How many endpoints (this one and `peers`) find `server` silent for half of `downAfter`;
    /// stops asking once a majority do (a peer cut off from this one takes its connect timeout).
    private func majorityFindsSilent(_ server: ServerAddress, among peers: [ServerAddress]) async -> Int {
        let threshold = settings.downAfter / 2
        let voters = peers.count + 1
        return await withTaskGroup(of: Bool.self) { group in
            for peer in peers { group.addTask { await self.peerFindsSilent(peer, server, threshold: threshold) } }
            var yes = 1
            for await vote in group where vote {
                yes += 1
                if yes * 2 > voters { break }
            }
            group.cancelAll()
            return yes
        }
    }

    /// What a primary the heartbeats find silent says to a new connection.
    enum LastWord {
        /// It answered: alive (only slow, or this endpoint was).
        case answered
        /// Its machine took the connection, its process did not answer: a stalled or overloaded
        /// server, whose replicas' links may still be up because it is alive.
        case silent
        /// No connection: its process is gone (refused), or its machine is down or cut off
        /// from this one (no answer at all).
        case unreachable
    }

    /// The last word to `server`: a new connection and a `PING` (after `AUTH`), each within
    /// 300 ms (a healthy server answers in about a millisecond; 800 ms with TLS, whose
    /// handshake costs CPU).
    private func lastWord(to server: ServerAddress) async -> LastWord {
        let timeout = Duration.milliseconds(tls == nil ? 300 : 800)
        // Authenticated by hand: a failed connection then always means no connection.
        guard let connection = try? await RedisConnection.connect(host: server.host, port: server.port, timeout: timeout, tls: tls) else {
            return .unreachable
        }
        let commands = (password.map { [["AUTH", $0.text]] } ?? []) + [["PING"]]
        var answered = true
        for command in commands where answered {
            // Any answer, an error too (still loading its data), is a live server's.
            answered = (try? await connection.send(command, timeout: timeout)) != nil
        }
        await connection.close()
        return answered ? .answered : .silent
    }

    /// Whether any of the endpoints at `peers` answers a `PING`, asked at once.
    private func anyAnswers(_ peers: [ServerAddress]) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            for peer in peers { group.addTask { await self.ask(peer, "PING") != nil } }
            for await answered in group where answered {
                group.cancelAll()
                return true
            }
            return false
        }
    }

    /// Whether the endpoint at `peer` has not heard from `server` for `threshold` (no answer: no).
    private func peerFindsSilent(_ peer: ServerAddress, _ server: ServerAddress, threshold: Duration) async -> Bool {
        guard let reply = await ask(peer, "MAINTCTL.HEALTH"), let rows = reply.elements else { return false }
        for row in rows {
            guard let pair = row.elements, pair.count == 2, pair[0].string == server.description, let milliseconds = pair[1].integer else { continue }
            return .milliseconds(milliseconds) >= threshold
        }
        return false
    }

    private func tell(_ peer: ServerAddress, _ command: String) async {
        _ = await ask(peer, command)
    }

    private func ask(_ peer: ServerAddress, _ command: String) async -> RESPValue? {
        guard let connection = try? await RedisConnection.connect(host: peer.host, port: peer.port, timeout: .milliseconds(300),
                                                                  password: password?.text, tls: tls) else { return nil }
        let reply = try? await connection.send([command], timeout: .milliseconds(500))
        await connection.close()
        return reply
    }
}

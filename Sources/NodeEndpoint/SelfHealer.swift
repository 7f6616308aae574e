import Logging
import RedisWire

/// The cache's always-on failure detector, run by every endpoint and acted on by one: the
/// endpoint of the leader node (the one `elect_leader` chose) fails over a primary that has
/// been silent for `downAfter` once a quorum of endpoints, on distinct nodes, also find it
/// silent; a stall shorter than `downAfter` fails nothing over, and an endpoint cut off from
/// one server alone finds no quorum. While a rollout runs, maintctl acts on the endpoints'
/// observations itself (`MAINTCTL.HEALTH`) and pauses the healing through the control channel,
/// a lease it keeps renewing, so that one party acts on them; a maintctl that dies lets the
/// lease run out.
actor SelfHealer {
    struct Settings: Sendable {
        var downAfter: Duration
        var heartbeat: Duration
        var coordinates: Bool
        var peers: [ServerAddress]
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

    init(settings: Settings, keeper: SlotMapKeeper, shared: EndpointShared, password: Secret?, tls: RedisTLS?, logger: Logger) {
        self.settings = settings
        self.keeper = keeper
        self.shared = shared
        self.password = password
        self.tls = tls
        self.logger = logger
    }

    // MARK: What maintctl says

    func coordinate(_ coordinates: Bool) { settings.coordinates = coordinates }
    func setPeers(_ peers: [ServerAddress]) { settings.peers = peers }
    func pause(for duration: Duration) { pausedUntil = .now + duration }
    func resume() { pausedUntil = .now }

    var isCoordinating: Bool { settings.coordinates }
    var isPaused: Bool { pausedUntil.map { $0 > .now } ?? false }

    // MARK: Watching

    /// Checks the primaries every heartbeat until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.heartbeat)
            guard settings.coordinates, !isPaused, let map = await keeper.map else { continue }
            // Silence counts from the end of a pause at the earliest: what maintctl's rollout did
            // while it watched (servers it restarted) is no evidence.
            let since = pausedUntil.map { ContinuousClock.now - $0 }
            let silences = Dictionary(shared.silences.map { entry in (entry.server, since.map { min($0, entry.silence) } ?? entry.silence) },
                                      uniquingKeysWith: max)
            for shard in map.shards {
                guard let silence = silences[shard.primary], silence >= settings.downAfter else { continue }
                if let last = attempts[shard.primary], ContinuousClock.now - last < Self.retryAfter { continue }
                await confirmAndHeal(shard, silence: silence)
            }
        }
    }

    /// Asks the peers whether they find `shard`'s primary silent too, and fails it over when a
    /// majority of the endpoints (this one included) do.
    private func confirmAndHeal(_ shard: SlotMap.Shard, silence: Duration) async {
        let primary = shard.primary
        let peers = settings.peers
        let threshold = settings.downAfter / 2
        let votes = await withTaskGroup(of: Bool.self) { group in
            for peer in peers { group.addTask { await self.peerFindsSilent(peer, primary, threshold: threshold) } }
            var yes = 1
            for await vote in group where vote { yes += 1 }
            return yes
        }
        let voters = peers.count + 1
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
            let promoted = try await Promotion(password: password, tls: tls).promoteBestReplica(of: shard, servers: servers)
            promotions += 1
            logger.warning("\(primary) silent for \(silence), confirmed by \(votes) of \(voters) endpoints: promoted \(promoted) in \(ContinuousClock.now - started)")
            try? await keeper.refresh()
            for peer in peers { await tell(peer, "MAINTCTL.RELOAD") }
        } catch {
            logger.warning("cannot fail over \(primary): \(error)")
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

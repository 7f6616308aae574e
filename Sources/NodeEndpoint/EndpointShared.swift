import Logging
import NIOConcurrencyHelpers
import RedisWire

/// What the workers of one endpoint share: the list of clients (for `CLIENT LIST`, `INFO` and
/// the client limit), and a way to ask for the slot map to be read again. Guarded by a lock;
/// touched when a client connects, disconnects or names itself, never per command.
final class EndpointShared: Sendable {
    /// What `CLIENT LIST` shows of a client.
    struct ClientRecord: Sendable {
        var id: Int
        var address: String
        var localAddress: String
        var name = ""
        var libraryName = ""
        var libraryVersion = ""
        var resp = 2
        var connectedAt: ContinuousClock.Instant
        /// It asked `MAINTCTL.HEALTH`: maintctl's failure detector or a peer endpoint, which
        /// watch the cache, not an application that uses it.
        var isObserver = false
    }

    let logger: Logger
    let startedAt = ContinuousClock.now
    private let clients = NIOLockedValueBox([Int: ClientRecord]())
    private let counters = NIOLockedValueBox(Counters())
    /// What each watched server's heartbeats heard.
    private let hearings = NIOLockedValueBox([ServerAddress: Hearing]())
    private let refreshRequests: AsyncStream<Void>.Continuation

    struct Counters: Sendable {
        var connectionsReceived = 0
        var rejectedConnections = 0
        var slotMapReads = 0
    }

    init(logger: Logger, refreshRequests: AsyncStream<Void>.Continuation) {
        self.logger = logger
        self.refreshRequests = refreshRequests
    }

    /// Asks the topology reader to read the slot map again soon.
    func requestRefresh() {
        refreshRequests.yield()
    }

    /// Admits a client unless `limit` clients are connected.
    func admit(_ record: ClientRecord, limit: Int) -> Bool {
        let admitted = clients.withLockedValue { clients in
            guard clients.count < limit else { return false }
            clients[record.id] = record
            return true
        }
        counters.withLockedValue {
            if admitted { $0.connectionsReceived += 1 } else { $0.rejectedConnections += 1 }
        }
        return admitted
    }

    func update(_ id: Int, _ change: (inout ClientRecord) -> Void) {
        clients.withLockedValue { clients in
            if var record = clients[id] {
                change(&record)
                clients[id] = record
            }
        }
    }

    func remove(_ id: Int) {
        _ = clients.withLockedValue { $0.removeValue(forKey: id) }
    }

    var clientRecords: [ClientRecord] {
        clients.withLockedValue { Array($0.values) }.sorted { $0.id < $1.id }
    }

    var clientCount: Int { clients.withLockedValue { $0.count } }

    /// The clients that are applications, not observers (``ClientRecord/isObserver``).
    var applicationClientCount: Int { clients.withLockedValue { $0.values.count { !$0.isObserver } } }

    // MARK: Server health

    /// One server's heartbeats: when it last answered (or began to be watched), and since when
    /// it has been silent, nil while it answers.
    private struct Hearing {
        var lastAnswer: ContinuousClock.Instant
        var silentSince: ContinuousClock.Instant?
    }

    func startWatching(_ server: ServerAddress) {
        hearings.withLockedValue { $0[server] = $0[server] ?? Hearing(lastAnswer: .now) }
    }

    func stopWatching(_ server: ServerAddress) {
        _ = hearings.withLockedValue { $0.removeValue(forKey: server) }
    }

    /// A heartbeat went out at `instant`: should it go unanswered, the server is silent since then.
    func recordQuestion(to server: ServerAddress, at instant: ContinuousClock.Instant) {
        hearings.withLockedValue { hearings in
            guard var hearing = hearings[server], hearing.silentSince == nil else { return }
            hearing.silentSince = instant
            hearings[server] = hearing
        }
    }

    func recordAnswer(from server: ServerAddress) {
        hearings.withLockedValue { hearings in
            guard hearings[server] != nil else { return }
            hearings[server] = Hearing(lastAnswer: .now)
        }
    }

    /// The server refused or closed the connection: it is gone, not stalled (a stopped process
    /// keeps its sockets), so it has been silent since its last answer.
    func recordUnreachable(_ server: ServerAddress) {
        hearings.withLockedValue { hearings in
            guard var hearing = hearings[server] else { return }
            hearing.silentSince = hearing.lastAnswer
            hearings[server] = hearing
        }
    }

    /// The endpoint itself could not run for `lag` (its heartbeat timer fired that late: a
    /// machine short of CPU): answers may have waited unread, so what it heard of no server
    /// counts as silence for that time.
    func discount(_ lag: Duration) {
        let now = ContinuousClock.now
        hearings.withLockedValue { hearings in
            for (server, hearing) in hearings {
                guard let since = hearing.silentSince else { continue }
                hearings[server]?.silentSince = min(since + lag, now)
            }
        }
    }

    /// How long each watched server has been silent, by address: zero while it answers, else
    /// since the first heartbeat it left unanswered, or since its last answer once it refused
    /// or closed the connection. A stall is never measured longer than it lasted.
    var silences: [(server: ServerAddress, silence: Duration)] {
        let now = ContinuousClock.now
        return hearings.withLockedValue { $0.map { ($0.key, $0.value.silentSince.map { now - $0 } ?? .zero) } }
            .sorted { $0.server.description < $1.server.description }
    }

    func countSlotMapRead() { counters.withLockedValue { $0.slotMapReads += 1 } }

    var counterValues: Counters { counters.withLockedValue { $0 } }
}

import Logging
import NIOConcurrencyHelpers

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
    }

    let logger: Logger
    let startedAt = ContinuousClock.now
    private let clients = NIOLockedValueBox([Int: ClientRecord]())
    private let counters = NIOLockedValueBox(Counters())
    /// When each server watched last answered a heartbeat (or began to be watched).
    private let lastAnswers = NIOLockedValueBox([ServerAddress: ContinuousClock.Instant]())
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

    // MARK: Server health

    func startWatching(_ server: ServerAddress) {
        lastAnswers.withLockedValue { $0[server] = $0[server] ?? .now }
    }

    func stopWatching(_ server: ServerAddress) {
        _ = lastAnswers.withLockedValue { $0.removeValue(forKey: server) }
    }

    func recordAnswer(from server: ServerAddress) {
        lastAnswers.withLockedValue { $0[server] = .now }
    }

    /// How long each watched server has not answered a heartbeat, by address.
    var silences: [(server: ServerAddress, silence: Duration)] {
        let now = ContinuousClock.now
        return lastAnswers.withLockedValue { $0.map { ($0.key, now - $0.value) } }.sorted { $0.server.description < $1.server.description }
    }

    func countSlotMapRead() { counters.withLockedValue { $0.slotMapReads += 1 } }

    var counterValues: Counters { counters.withLockedValue { $0 } }
}

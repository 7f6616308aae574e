import Foundation
import Logging
import NIOCore
import RedisWire

/// Everything the endpoint does on one event loop: its clients, its connections to the servers,
/// and its copy of the slot map. Clients and the server connections that serve them share the
/// loop, so a request crosses no thread and takes no lock between client and server.
final class Worker {
    let eventLoop: any EventLoop
    let configuration: EndpointConfiguration
    let allocator = ByteBufferAllocator()
    let index: Int
    let shared: EndpointShared

    private(set) var map: SlotMap?
    private(set) var table: CommandTable?
    private(set) var serverVersion = "7.0.0"
    /// Slots a `-MOVED` sent elsewhere since the map was read.
    private var moved: [Int: ServerAddress] = [:]
    /// Per shard of `map`: its primary's pooled connections, RESP2 then RESP3.
    private var shardPools: [Pool] = []
    private var pools: [ServerAddress: Pool] = [:]
    private var idleDedicated: [ServerAddress: [Upstream]] = [:]
    private var unflushedUpstreams: [Upstream] = []
    private var unflushedSessions: [ClientSession] = []
    private var flushScheduled = false
    private var nextSessionNumber = 0
    private var nextShard = 0
    /// Shards failing over, by their old primary: requests for them wait here (`Worker+Holds`).
    var holds: [ServerAddress: HeldRequests] = [:]
    /// Held requests released to a new primary, waiting until the old primary's connections
    /// have every reply they wait for (a request sent there before the hold goes first).
    var pendingReleases: [PendingRelease] = []
    /// Old primaries whose hold ended at its limit (their requests were answered `TRYAGAIN`).
    var expiredHolds = Set<ServerAddress>()
    /// Every client of this worker, by id.
    var sessions: [Int: ClientSession] = [:]
    /// Clients that asked for maintenance notifications, by id (`Worker+Notices`).
    var noticeSubscribers: [Int: ClientSession] = [:]
    /// The `MOVING` this endpoint announced, with its id: told to clients that ask later too.
    var moving: (notice: MaintenanceNotice, id: Int)?
    /// Per shard of `map`, the key that marks its replication offset for `WAIT` (`Worker+WaitMarks`).
    var waitMarks: [Int: String] = [:]

    /// A server's pooled connections.
    final class Pool {
        let resp2: [Upstream]
        let resp3: [Upstream]
        private var turn = 0

        init(address: ServerAddress, size: Int, worker: Worker) {
            resp2 = (0..<size).map { _ in Upstream(address: address, resp3: false, dedicated: false, worker: worker) }
            resp3 = (0..<size).map { _ in Upstream(address: address, resp3: true, dedicated: false, worker: worker) }
        }

        func next(resp3 protocol3: Bool) -> Upstream {
            let connections = protocol3 ? resp3 : resp2
            if connections.count == 1 { return connections[0] }
            turn &+= 1
            return connections[turn % connections.count]
        }

        /// Closes each connection once the replies it waits for are in (a failover's requests
        /// still in flight to the old primary get their answer or their redirection).
        func retire() {
            for upstream in resp2 + resp3 { upstream.closeWhenIdle() }
        }
    }

    init(index: Int, eventLoop: any EventLoop, configuration: EndpointConfiguration, shared: EndpointShared) {
        self.index = index
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.shared = shared
    }

    /// A new client's id, unique across workers.
    func nextSessionID() -> Int {
        nextSessionNumber += 1
        return nextSessionNumber * configuration.threads + index
    }

    // MARK: The slot map

    /// Routes by `map` from now on; connections to servers no longer primaries are closed once idle.
    func install(_ map: SlotMap, table: CommandTable?, serverVersion: String?) {
        self.map = map
        if let table { self.table = table }
        if let serverVersion { self.serverVersion = serverVersion }
        moved.removeAll()
        waitMarks.removeAll()
        releaseHoldsMoved(by: map)
        shardPools = map.shards.map { pool(for: $0.primary) }
        let primaries = Set(map.shards.map(\.primary))
        for (address, pool) in pools where !primaries.contains(address) {
            pool.retire()
            pools[address] = nil
        }
    }

    /// Whether the endpoint has read the cluster and can route.
    var isReady: Bool { map != nil && table != nil }

    /// The address serving `slot`, nil when no shard serves it.
    func address(ofSlot slot: Int) -> ServerAddress? {
        if let address = moved[slot] { return address }
        guard let map, let shard = map.shardIndex(ofSlot: slot) else { return nil }
        return map.shards[shard].primary
    }

    /// The pooled connection to the primary of `slot`, nil when no shard serves it.
    func upstream(forSlot slot: Int, resp3: Bool) -> Upstream? {
        if let address = moved[slot] { return pool(for: address).next(resp3: resp3) }
        guard let shard = map?.shardIndex(ofSlot: slot) else { return nil }
        return shardPools[shard].next(resp3: resp3)
    }

    /// A pooled connection to shard `index`'s primary.
    func upstream(forShard index: Int, resp3: Bool) -> Upstream? {
        index < shardPools.count ? shardPools[index].next(resp3: resp3) : nil
    }

    /// The shards in turn, for commands any primary answers.
    func anyShard() -> Int? {
        guard !shardPools.isEmpty else { return nil }
        nextShard = (nextShard + 1) % shardPools.count
        return nextShard
    }

    var shardCount: Int { shardPools.count }

    func pool(for address: ServerAddress) -> Pool {
        if let pool = pools[address] { return pool }
        let pool = Pool(address: address, size: configuration.connectionsPerServer, worker: self)
        pools[address] = pool
        return pool
    }

    /// Something suggests the cluster changed (a redirection, a server that does not answer).
    func topologyMayHaveChanged() {
        shared.requestRefresh()
    }

    // MARK: Dedicated connections

    /// A connection to `address` for `owner` alone: an idle one, else a new one.
    func dedicated(to address: ServerAddress, resp3: Bool, for owner: ClientSession) -> Upstream {
        var upstream = Upstream(address: address, resp3: resp3, dedicated: true, worker: self)
        if var idle = idleDedicated[address], let index = idle.firstIndex(where: { $0.resp3 == resp3 && $0.isConnected }) {
            upstream = idle.remove(at: index)
            idleDedicated[address] = idle.filter(\.isConnected)
        }
        upstream.owner = owner
        return upstream
    }

    /// Takes a dedicated connection back once nothing waits on it: kept for the next client
    /// when it is open and clean, else closed.
    func release(_ upstream: Upstream) {
        upstream.releaseWhenIdle = false
        upstream.stream = nil
        upstream.owner = nil
        guard upstream.dedicated else { return }
        var idle = idleDedicated[upstream.address] ?? []
        if upstream.isConnected, upstream.subscriptions == 0, idle.count < configuration.idleDedicatedPerServer {
            idle.append(upstream)
            idleDedicated[upstream.address] = idle
        } else {
            upstream.close()
        }
    }

    // MARK: Replies

    /// Passes `frame`, the reply to `pending`, where it goes; follows a redirection.
    func deliver(_ frame: ByteBuffer, to pending: PendingReply, from upstream: Upstream) {
        if pending.redirects != .pass, let redirection = Redirection(frame) {
            switch pending.redirects {
            case .crossSlot:
                return complete(pending, with: LocalReply.error("CROSSSLOT Keys in request don't hash to the same slot", allocator: allocator))
            case .follow where pending.redirectCount < PendingReply.redirectLimit:
                if redirection.kind == .moved {
                    moved[redirection.slot] = redirection.address
                    topologyMayHaveChanged()
                }
                var again = pending
                again.redirectCount += 1
                let target = pool(for: redirection.address).next(resp3: upstream.resp3)
                if redirection.kind == .ask { target.send(Self.asking, PendingReply(.discard)) }
                target.send(pending.request!, again)
                // A held primary that redirects has been replaced: what it held goes there too.
                if redirection.kind == .moved, holds[upstream.address] != nil {
                    _ = release(upstream.address, to: redirection.address)
                }
                return
            default:
                break
            }
        }
        complete(pending, with: frame)
    }

    /// Gives `frame` to whoever waits for `pending`, as it is.
    func complete(_ pending: PendingReply, with frame: ByteBuffer) {
        switch pending.destination {
        case let .client(session, sequence):
            session.complete(sequence, with: frame)
        case let .part(gather, index):
            gather.complete(index, with: frame)
        case let .scan(session, sequence, shard):
            session.scanned(frame, sequence: sequence, shard: shard)
        case let .randomKey(session, sequence, shard, tried):
            session.randomKey(frame, sequence: sequence, shard: shard, tried: tried)
        case .handshake, .discard:
            break
        }
    }

    private static let asking: ByteBuffer = {
        var buffer = ByteBufferAllocator().buffer(capacity: 20)
        buffer.writeStaticString("*1\r\n$6\r\nASKING\r\n")
        return buffer
    }()

    // MARK: Flushing once per batch

    func needsFlush(_ upstream: Upstream) {
        unflushedUpstreams.append(upstream)
        scheduleFlush()
    }

    func needsFlush(_ session: ClientSession) {
        unflushedSessions.append(session)
        scheduleFlush()
    }

    /// Flushes once the event loop has handled every socket that was ready: the requests of all
    /// the clients read in one turn of the loop go to a server in one write.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flushAll()
        }
    }

    /// Flushes every connection written since the last flush.
    func flushAll() {
        while !unflushedUpstreams.isEmpty || !unflushedSessions.isEmpty {
            let upstreams = unflushedUpstreams
            unflushedUpstreams.removeAll(keepingCapacity: true)
            for upstream in upstreams { upstream.flush() }
            let sessions = unflushedSessions
            unflushedSessions.removeAll(keepingCapacity: true)
            for session in sessions { session.flush() }
        }
    }

    func log(_ message: String) {
        shared.logger.warning("\(message)")
    }
}

/// A `-MOVED slot host:port` or `-ASK slot host:port` reply.
struct Redirection {
    enum Kind { case moved, ask }
    var kind: Kind
    var slot: Int
    var address: ServerAddress

    init?(_ frame: ByteBuffer) {
        guard frame.readableBytesView.first == UInt8(ascii: "-"), frame.readableBytes < 300 else { return nil }
        let words = String(buffer: frame).dropFirst().split(separator: " ")
        guard words.count >= 3, let slot = Int(words[1]), (0..<16384).contains(slot),
              let address = ServerAddress(words[2].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        switch words[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        self.slot = slot
        self.address = address
    }
}

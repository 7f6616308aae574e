import NIOCore
import RedisWire

/// How an endpoint serves its cache.
public struct EndpointConfiguration: Sendable {
    /// Where clients connect (loopback on the local backends).
    public var listen: ServerAddress
    /// Addresses this endpoint took over from endpoints of nodes that left; served too.
    public var adoptedAddresses: [ServerAddress] = []
    /// Servers of the cache to read the slot map from first; the map then names the rest.
    public var seeds: [ServerAddress]
    /// The cache's password, required of clients and given to servers; nil when it has none.
    public var password: Secret?
    /// The cache's TLS: clients, servers and peers are spoken to over TLS only; nil for plain TCP.
    public var tls: RedisTLS?
    /// Event loops, each with its clients and its own connections to the servers.
    public var threads: Int
    /// Pooled connections per server, per event loop and protocol.
    public var connectionsPerServer = 1
    /// Dedicated connections kept open per server and event loop for the next transaction or blocking command.
    public var idleDedicatedPerServer = 8
    /// The most clients at once; more are refused with Redis' own error.
    public var maxClients = 10_000
    /// A client that sends nothing for this long, with nothing in flight, is disconnected; nil: never.
    public var idleTimeout: TimeAmount?
    /// Commands in flight per client before the endpoint stops reading from it (backpressure).
    public var maxInFlightPerClient = 256
    /// Bytes a subscribed client may leave unread before it is disconnected (Redis' pubsub limit).
    public var maxUnreadBytesPerSubscriber = 32 << 20
    /// Limits on one request.
    var requestLimits = RequestDecoder.Limits()
    /// How long connecting to a server may take.
    public var connectTimeout = TimeAmount.seconds(1)
    /// How often the slot map is read again when nothing asks for it sooner.
    public var refreshInterval = TimeAmount.seconds(1)
    /// The control channel's unix socket; nil: none.
    public var controlSocket: String?
    /// The endpoints of the cache's other nodes, asked to confirm a failure.
    public var peers: [ServerAddress] = []
    /// Whether this endpoint fails over dead primaries (it runs on the leader node).
    public var coordinates = false
    /// How long a primary must be silent before it is failed over (with a quorum's consent).
    public var downAfter = Duration.milliseconds(800)
    /// How often every server is pinged.
    public var heartbeat = Duration.milliseconds(200)

    /// Half the cores, at least one: the endpoint shares its node with the shards' servers. On
    /// 2 cores one event loop served 20 % more unpipelined requests than two (Benchmarks/endpoint).
    public static let defaultThreads = max(1, System.coreCount / 2)

    public init(listen: ServerAddress, seeds: [ServerAddress], password: Secret? = nil, threads: Int = defaultThreads) {
        self.listen = listen
        self.seeds = seeds
        self.password = password
        self.threads = max(1, threads)
    }

    /// The largest request accepted, all arguments together (Redis' 512 MB by default).
    public var maxRequestBytes: Int {
        get { requestLimits.requestBytes }
        set {
            requestLimits.requestBytes = newValue
            requestLimits.bulkBytes = min(requestLimits.bulkBytes, newValue)
        }
    }

    /// What a new server connection sends first: `HELLO 3` for RESP3, and the password.
    func handshake(resp3: Bool) -> [ByteBuffer] {
        var arguments: [[UInt8]] = []
        if resp3 {
            arguments = [Array("HELLO".utf8), Array("3".utf8)]
            if let password { arguments += [Array("AUTH".utf8), Array("default".utf8), password.bytes] }
        } else if let password {
            arguments = [Array("AUTH".utf8), password.bytes]
        }
        guard !arguments.isEmpty else { return [] }
        let allocator = ByteBufferAllocator()
        return [ClientRequest(arguments: arguments.map { allocator.buffer(bytes: $0) }, allocator: allocator).raw]
    }
}

/// A password, kept out of descriptions and logs.
public struct Secret: Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Whether `candidate` is the secret, in time that does not depend on where they differ.
    func matches(_ candidate: ByteBuffer) -> Bool {
        var difference = UInt8(candidate.readableBytes == bytes.count ? 0 : 1)
        let candidateBytes = Array(candidate.readableBytesView)
        for index in 0..<bytes.count {
            difference |= bytes[index] ^ (index < candidateBytes.count ? candidateBytes[index] : 0)
        }
        return difference == 0
    }

    /// The secret as text, for a connection's `AUTH`.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { "(secret)" }
}

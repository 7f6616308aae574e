import NIOCore
import NIOPosix
import RedisWire

/// One server's heartbeat on an event loop: at each tick, a `PING` when none is awaited; the
/// answer, a silence, or a refusal recorded in `EndpointShared`.
///
/// - A server that answers is heard at each answer.
/// - A server that does not answer (stopped, overloaded) is silent since the first `PING` it
///   left unanswered; after `timeout` the connection is closed and made again.
/// - A server that refuses or closes the connection (its process is gone) is silent since its
///   last answer.
final class ServerWatch {
    struct Settings: Sendable {
        /// How often a `PING` goes out.
        var heartbeat: TimeAmount
        /// How long an unanswered `PING` is waited for before the connection is made again.
        var timeout: TimeAmount
        /// How long connecting may take.
        var connectTimeout: TimeAmount = .milliseconds(200)
        /// What a new connection sends first (the password).
        var handshake: [ByteBuffer]
        /// The cache's TLS; nil for plain TCP.
        var tls: RedisTLS?
    }

    private enum State {
        case idle
        case connecting
        case connected(any Channel)
        case stopped
    }

    let address: ServerAddress
    private let eventLoop: any EventLoop
    private let shared: EndpointShared
    private let settings: Settings
    private var state = State.idle
    /// Replies the connection's set-up still owes.
    private var handshakeReplies = 0
    /// When the awaited `PING` went out.
    private var askedAt: NIODeadline?
    /// When the last `PING` was answered: the next goes out a heartbeat later.
    private var answeredAt: NIODeadline?

    init(address: ServerAddress, eventLoop: any EventLoop, shared: EndpointShared, settings: Settings) {
        self.address = address
        self.eventLoop = eventLoop
        self.shared = shared
        self.settings = settings
    }

    private static let ping: ByteBuffer = {
        var buffer = ByteBufferAllocator().buffer(capacity: 14)
        buffer.writeStaticString("*1\r\n$4\r\nPING\r\n")
        return buffer
    }()

    func tick(at now: NIODeadline) {
        switch state {
        case .stopped, .connecting:
            return
        case .idle:
            connect()
        case let .connected(channel):
            if let askedAt {
                guard now - askedAt >= settings.timeout else { return }
                // Stalled, or slow: silent since the question went out; ask again on a new connection.
                reset(channel)
                return
            }
            // A tick that comes early after an answer waits for the next.
            if let answeredAt, now - answeredAt < settings.heartbeat - .milliseconds(20) { return }
            askedAt = now
            shared.recordQuestion(to: address, at: .now)
            channel.writeAndFlush(Self.ping, promise: nil)
        }
    }

    /// Stops watching: the connection closes.
    func stop() {
        if case let .connected(channel) = state { channel.close(promise: nil) }
        state = .stopped
    }

    private func reset(_ channel: any Channel) {
        askedAt = nil
        state = .idle
        channel.close(promise: nil)
    }

    private func connect() {
        state = .connecting
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        ClientBootstrap(group: eventLoop)
            .connectTimeout(settings.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [tls = settings.tls, address] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.clientHandler(for: address.host)) }
                    try channel.pipeline.syncOperations.addHandlers(ByteToMessageHandler(ReplyFrameDecoder()), ServerReplyHandler(receiver: bound.value))
                }
            }
            .connect(host: address.host, port: address.port)
            .assumeIsolated()
            .whenComplete { result in
                let watch = bound.value
                switch result {
                case let .success(channel): watch.connected(channel)
                case .failure: watch.refused()
                }
            }
    }

    private func connected(_ channel: any Channel) {
        guard case .connecting = state else {
            channel.close(promise: nil)
            return
        }
        state = .connected(channel)
        askedAt = nil
        handshakeReplies = settings.handshake.count
        for request in settings.handshake { channel.write(request, promise: nil) }
        channel.flush()
    }

    /// The server refused the connection, or closed it, or refused its set-up.
    private func refused() {
        if case .stopped = state { return }
        if case let .connected(channel) = state { channel.close(promise: nil) }
        state = .idle
        askedAt = nil
        shared.recordUnreachable(address)
    }

    func received(_ frame: ByteBuffer) {
        if handshakeReplies > 0 {
            handshakeReplies -= 1
            if frame.readableBytesView.first == UInt8(ascii: "-") { refused() }
            return
        }
        guard askedAt != nil else { return }
        askedAt = nil
        answeredAt = .now()
        shared.recordAnswer(from: address)
    }

    func connectionClosed(_ channel: any Channel) {
        guard case let .connected(current) = state, current === channel else { return }
        refused()
    }
}

extension ServerWatch: ServerReplyReceiver {}

import NIOCore
import RedisWire

/// One client's connection to the endpoint: reads its commands, routes each, and writes the
/// replies back in the order the commands came, whichever server answers first.
///
/// Everything here runs on the worker's event loop.
final class ClientSession: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let worker: Worker
    let id: Int
    var allocator: ByteBufferAllocator { worker.allocator }
    private(set) var context: ChannelHandlerContext?

    /// Whether the client speaks RESP3 (`HELLO 3`).
    var resp3 = false
    var authenticated: Bool {
        didSet { decoder.limits = authenticated ? worker.configuration.requestLimits : .unauthenticated }
    }
    var name = ""
    var transaction = TransactionState()
    /// Subscriptions: channels and patterns on one server, shard channels on their shards' servers.
    var globalStream: Upstream?
    var shardStreams: [ServerAddress: Upstream] = [:]
    /// Connections of blocking commands in flight.
    var blockingConnections: [Upstream] = []
    /// What `MOVING` names for this client; nil unless it asked for maintenance notifications.
    var noticeEndpointType: MovingEndpointType?
    /// The servers this client's commands went to, for `WAIT` (`ClientSession+Wait`).
    var sentTo = Set<ServerAddress>()
    /// The connection of the client's last command: the same again is not looked up in `sentTo`.
    private var lastConnection: Upstream?
    /// A command that runs once every earlier reply is in (`WAIT`); later ones wait behind it.
    private var barrier: ClientRequest?

    /// Replies not yet written, from the oldest command on; nil where the reply has not come.
    private var replies = CircularBuffer<ByteBuffer?>(initialCapacity: 16)
    private var headSequence = 0
    /// Replies ready since the last flush, small ones copied into one buffer: one write for the batch.
    private var outgoing: ByteBuffer?
    /// Replies larger than this are written as they are, not copied.
    private static let copiedReplyBytes = 16 << 10
    private var closeWhenDrained = false
    private(set) var closed = false
    private var readingPaused = false
    private var readWanted = false
    /// Commands read while the client had its fill in flight: dispatched as replies go out.
    /// At most what one read brings, since reading stops meanwhile.
    private var deferred = CircularBuffer<ClientRequest>()
    /// Bytes read that hold no whole command yet.
    private var input: ByteBuffer?
    private var decoder: RequestDecoder
    private var dispatchingDeferred = false

    init(worker: Worker) {
        self.worker = worker
        self.id = worker.nextSessionID()
        let open = worker.configuration.password == nil
        self.authenticated = open
        self.decoder = RequestDecoder(limits: open ? worker.configuration.requestLimits : .unauthenticated)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        let record = EndpointShared.ClientRecord(
            id: id, address: context.remoteAddress.map(Self.describe) ?? "?",
            localAddress: context.localAddress.map(Self.describe) ?? "?", connectedAt: .now)
        if !worker.shared.admit(record, limit: worker.configuration.maxClients) {
            closed = true
            context.writeAndFlush(wrapOutboundOut(LocalReply.error("ERR max number of clients reached", allocator: allocator)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        worker.sessions[id] = self
        context.fireChannelActive()
    }

    /// Cuts what arrived into commands and dispatches each, or defers it while the client has
    /// its fill in flight.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed, !closeWhenDrained else { return }
        var bytes = unwrapInboundIn(data)
        if var pending = input {
            input = nil
            pending.writeBuffer(&bytes)
            bytes = pending
        }
        do {
            while let request = try decoder.next(from: &bytes, allocator: allocator) {
                if deferred.isEmpty, !isFull {
                    dispatch(request)
                } else {
                    deferred.append(request)
                }
                if closed || closeWhenDrained { return }
            }
        } catch let error as RequestError {
            // Redis answers input it cannot read with an error, then closes the connection.
            reply(LocalReply.error("ERR \(error.message)", allocator: allocator))
            closeAfterReplies()
            return
        } catch {
            context.close(promise: nil)
            return
        }
        if bytes.readableBytes > 0 {
            // Keep only what is left; the rest of the read buffer can go.
            if bytes.readerIndex > 0, bytes.readableBytes < bytes.readerIndex { bytes.discardReadBytes() }
            input = bytes
        }
        updateReading()
    }

    /// Whether the client has as many commands in flight as it may, or its socket is full, or
    /// a command waits for the replies before it.
    private var isFull: Bool {
        barrier != nil || replies.count >= worker.configuration.maxInFlightPerClient || context?.channel.isWritable == false
    }

    /// Dispatches `request` again once every earlier command has its reply.
    func dispatchAfterEarlierReplies(_ request: ClientRequest) {
        barrier = request
        updateReading()
    }

    /// Whether every command so far has its reply.
    var hasRepliesAwaited: Bool { !replies.isEmpty }

    /// A command of this client was written to `upstream`.
    func sent(to upstream: Upstream) {
        guard upstream !== lastConnection else { return }
        lastConnection = upstream
        sentTo.insert(upstream.address)
    }

    /// Dispatches the deferred commands while there is room (one loop at a time: a reply a
    /// command gets at once comes back here).
    private func dispatchDeferred() {
        guard !dispatchingDeferred else { return }
        dispatchingDeferred = true
        defer { dispatchingDeferred = false }
        while !deferred.isEmpty, !isFull, !closed, !closeWhenDrained {
            dispatch(deferred.removeFirst())
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !closed { worker.shared.remove(id) }
        worker.sessions[id] = nil
        if noticeEndpointType != nil { worker.unsubscribeFromNotices(self) }
        closed = true
        replies.removeAll()
        deferred.removeAll()
        barrier = nil
        lastConnection = nil
        input = nil
        transaction.pinned?.close()
        transaction = TransactionState()
        for upstream in [globalStream].compactMap({ $0 }) + shardStreams.values { upstream.close() }
        globalStream = nil
        shardStreams = [:]
        // A blocked command's server keeps it blocked until its connection closes.
        for upstream in blockingConnections where upstream.owner === self && upstream.isBusy { upstream.close() }
        blockingConnections = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, replies.isEmpty, !isSubscribed, transaction.pinned == nil {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Reads from the client only while its replies are few and its socket takes them.
    func read(context: ChannelHandlerContext) {
        if readingPaused {
            readWanted = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        dispatchDeferred()
        updateReading()
        context.fireChannelWritabilityChanged()
    }

    private func updateReading() {
        guard let context else { return }
        let pause = isFull || !deferred.isEmpty
        if readingPaused, !pause {
            readingPaused = false
            if readWanted {
                readWanted = false
                context.read()
            }
        } else if pause {
            readingPaused = true
        }
    }

    // MARK: Replies in order

    /// A place for the next reply; returns its sequence number.
    func reserve() -> Int {
        replies.append(nil)
        return headSequence + replies.count - 1
    }

    /// Answers the next command with `frame`.
    func reply(_ frame: ByteBuffer) {
        replies.append(frame)
        drain()
    }

    /// Reply `sequence` has come.
    func complete(_ sequence: Int, with frame: ByteBuffer) {
        let offset = sequence - headSequence
        guard !closed, offset >= 0, offset < replies.count else { return }
        replies[replies.index(replies.startIndex, offsetBy: offset)] = frame
        if offset == 0 { drain() }
    }

    /// Writes the replies that are complete from the oldest on.
    private func drain() {
        guard let context, !closed else { return }
        while let first = replies.first, let frame = first {
            replies.removeFirst()
            headSequence += 1
            if outgoing == nil { worker.needsFlush(self) }
            if frame.readableBytes > Self.copiedReplyBytes {
                if let batch = outgoing, batch.readableBytes > 0 { context.write(wrapOutboundOut(batch), promise: nil) }
                context.write(wrapOutboundOut(frame), promise: nil)
                outgoing = allocator.buffer(capacity: 0)
            } else {
                if outgoing == nil || outgoing!.capacity == 0 { outgoing = allocator.buffer(capacity: max(512, frame.readableBytes)) }
                outgoing!.writeImmutableBuffer(frame)
            }
        }
        if replies.isEmpty, let request = barrier {
            barrier = nil
            dispatch(request)
        }
        if closeWhenDrained, replies.isEmpty {
            closed = true
            worker.shared.remove(id)
            if let batch = outgoing, batch.readableBytes > 0 { context.write(wrapOutboundOut(batch), promise: nil) }
            outgoing = nil
            context.writeAndFlush(wrapOutboundOut(allocator.buffer(capacity: 0)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        if !deferred.isEmpty, !isFull { dispatchDeferred() }
        updateReading()
    }

    /// Writes `frame` now, ahead of replies still awaited: a RESP3 push, which a client takes
    /// between any two replies.
    func push(_ frame: ByteBuffer) {
        guard !closed else { return }
        if outgoing == nil {
            worker.needsFlush(self)
            outgoing = allocator.buffer(capacity: max(512, frame.readableBytes))
        } else if outgoing!.capacity == 0 {
            outgoing = allocator.buffer(capacity: max(512, frame.readableBytes))
        }
        outgoing!.writeImmutableBuffer(frame)
    }

    /// A connection that served this client alone broke.
    func dedicatedLost(_ upstream: Upstream) {
        if transaction.pinned === upstream {
            // Its MULTI or WATCH went with it: the transaction must not go on elsewhere.
            transaction.pinned = nil
            transaction.lost = true
        }
    }

    func flush() {
        guard let batch = outgoing, let context else { return }
        outgoing = nil
        if batch.readableBytes > 0 { context.write(wrapOutboundOut(batch), promise: nil) }
        context.flush()
    }

    /// Closes the connection once every reply so far is written.
    func closeAfterReplies() {
        closeWhenDrained = true
        drain()
    }

    /// How many bytes wait in the socket's buffer for the client to read.
    var unreadBytes: Int {
        guard let context else { return 0 }
        return (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    func error(_ message: String) -> ByteBuffer {
        LocalReply.error(message, allocator: allocator)
    }

    private static func describe(_ address: SocketAddress) -> String {
        "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    }
}

import Foundation
import NIOCore
import NIOPosix
import RedisWire

/// One connection from the endpoint to a server, on one worker's event loop.
///
/// Requests are written as they come and replies matched to them in order (a server answers in
/// order), so one connection carries many clients' pipelined commands. It connects on first
/// use; while it connects, requests wait in order. When it cannot connect or breaks, every
/// request waiting on it gets an error at once, and for a short while new ones too, so that a
/// dead server costs its own clients an error, not a wait, and others nothing.
final class Upstream {
    let address: ServerAddress
    /// Whether the connection speaks RESP3 (it sent `HELLO 3`).
    let resp3: Bool
    /// Whether it belongs to one client at a time (transactions, blocking commands, subscriptions).
    let dedicated: Bool
    unowned let worker: Worker

    /// Frames that arrive with no request waiting go here: a subscribed client's messages.
    var stream: ClientSession?
    /// The client a dedicated connection serves now; told when the connection is lost, since a
    /// dedicated connection never reconnects (its server-side state, a `MULTI`, a `WATCH`, would
    /// be gone without anyone noticing).
    var owner: ClientSession?
    /// A subscribed connection's count of subscriptions, as the server last said.
    var subscriptions = 0
    /// A subscription command went out and its first confirmation has not come yet.
    var awaitingConfirmation = false
    /// Give the connection back to the worker once nothing waits on it.
    var releaseWhenIdle = false
    /// Close the connection once nothing waits on it (its server is no longer a primary).
    private var retiring = false

    private enum State {
        case idle
        case connecting([(ByteBuffer, PendingReply?)])
        case connected(any Channel)
        /// Connecting failed; requests fail at once until the deadline.
        case broken(until: NIODeadline, reason: String)
        case closed
    }

    private var state = State.idle
    private var waiting = CircularBuffer<PendingReply>()
    /// Requests written since the last flush, copied into one buffer: one write for the batch.
    private var outgoing: ByteBuffer?

    /// How long requests fail at once after a connection failed.
    static let brokenFor = TimeAmount.milliseconds(100)

    init(address: ServerAddress, resp3: Bool, dedicated: Bool, worker: Worker) {
        self.address = address
        self.resp3 = resp3
        self.dedicated = dedicated
        self.worker = worker
    }

    /// Whether requests are waiting for replies.
    var isBusy: Bool { !waiting.isEmpty || { if case let .connecting(queued) = state { !queued.isEmpty } else { false } }() }

    /// Whether the connection is open now.
    var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    /// Whether the connection is open or opening.
    var isUsable: Bool {
        switch state {
        case .idle, .connecting, .connected: true
        case let .broken(until, _): until < .now()
        case .closed: false
        }
    }

    /// Writes `request` (flushed with the worker's next flush); `pending` gets its reply, or the
    /// subscribed client the frames it brings when `pending` is nil.
    func send(_ request: ByteBuffer, _ pending: PendingReply?) {
        if !dedicated, !worker.holds.isEmpty, worker.held(request, pending, for: address, resp3: resp3) { return }
        write(request, pending)
    }

    /// Writes `request` whatever holds there are: the connection's own set-up, and what was
    /// queued on it before a hold began.
    private func write(_ request: ByteBuffer, _ pending: PendingReply?) {
        pending?.session?.sent(to: self)
        switch state {
        case let .connected(channel):
            if let pending { waiting.append(pending) }
            if outgoing == nil {
                outgoing = channel.allocator.buffer(capacity: max(1024, request.readableBytes))
                worker.needsFlush(self)
            }
            outgoing!.writeImmutableBuffer(request)
        case var .connecting(queued):
            state = .idle
            queued.append((request, pending))
            state = .connecting(queued)
        case .idle:
            state = .connecting([(request, pending)])
            connect()
        case let .broken(until, reason):
            if until < .now() {
                state = .connecting([(request, pending)])
                connect()
            } else if let pending {
                worker.deliver(unreachable(reason), to: pending, from: self)
            } else {
                stream?.streamLost(self)
            }
        case .closed:
            if let pending { worker.deliver(unreachable("the connection is closed"), to: pending, from: self) }
        }
    }

    func flush() {
        guard let batch = outgoing, case let .connected(channel) = state else { return }
        outgoing = nil
        channel.writeAndFlush(batch, promise: nil)
    }

    /// Closes the connection once no reply is awaited on it; new requests should go elsewhere.
    func closeWhenIdle() {
        if isBusy { retiring = true } else { close() }
    }

    /// Closes the connection; what still waits gets an error.
    func close() {
        let channel: (any Channel)? = if case let .connected(channel) = state { channel } else { nil }
        fail("the endpoint closed the connection", next: .closed)
        channel?.close(promise: nil)
    }

    // MARK: From the channel

    func received(_ frame: ByteBuffer) {
        guard let pending = waiting.popFirst() else {
            if let stream { stream.streamed(frame, from: self) }
            return
        }
        if case .handshake = pending.destination, ReplyFrameScanner.isError(frame) {
            let reason = String(buffer: frame).trimmingCharacters(in: .whitespacesAndNewlines)
            worker.log("\(address) refused the endpoint's connection set-up: \(reason)")
            let channel: (any Channel)? = if case let .connected(channel) = state { channel } else { nil }
            lost("\(address) refused the connection: \(reason)")
            channel?.close(promise: nil)
            return
        }
        worker.deliver(frame, to: pending, from: self)
        if waiting.isEmpty, !worker.pendingReleases.isEmpty { worker.drained(self) }
        if releaseWhenIdle, waiting.isEmpty { worker.release(self) }
        if retiring, waiting.isEmpty { close() }
    }

    func channelClosed() {
        guard case .connected = state else { return }
        lost("the connection to \(address) was lost")
        // A server that closes its connections has ended (stopped after a failover, or
        // crashed): the slot map is read again at once, not at the next redirection.
        worker.topologyMayHaveChanged()
    }

    /// The connection broke: a pooled one connects again on next use (after a pause when it
    /// was refused); a dedicated one stays closed and its client is told.
    private func lost(_ reason: String) {
        fail(reason, next: dedicated ? .closed : .broken(until: .now() + Self.brokenFor, reason: reason))
        stream?.streamLost(self)
        owner?.dedicatedLost(self)
    }

    // MARK: Connecting

    private func connect() {
        let bound = NIOLoopBound(self, eventLoop: worker.eventLoop)
        ClientBootstrap(group: worker.eventLoop)
            .connectTimeout(worker.configuration.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [tls = worker.configuration.tls, address] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.clientHandler(for: address.host)) }
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(ReplyFrameDecoder()),
                        ServerReplyHandler(receiver: bound.value)
                    )
                }
            }
            .connect(host: address.host, port: address.port)
            .assumeIsolated()
            .whenComplete { result in
                let upstream = bound.value
                switch result {
                case let .success(channel): upstream.connected(channel)
                case let .failure(error): upstream.connectFailed("\(error)")
                }
            }
    }

    private func connected(_ channel: any Channel) {
        guard case let .connecting(queued) = state else {
            channel.close(promise: nil)
            return
        }
        state = .connected(channel)
        for handshake in worker.configuration.handshake(resp3: resp3) {
            write(handshake, PendingReply(.handshake))
        }
        for (request, pending) in queued { write(request, pending) }
        flush()
    }

    private func connectFailed(_ reason: String) {
        guard case .connecting = state else { return }
        lost("cannot connect to \(address): \(reason)")
        worker.topologyMayHaveChanged()
    }

    /// Fails everything waiting or queued with `reason` and moves to `next`.
    private func fail(_ reason: String, next: State) {
        var failed: [PendingReply] = Array(waiting)
        waiting.removeAll()
        if case let .connecting(queued) = state { failed += queued.compactMap(\.1) }
        state = next
        outgoing = nil
        let error = unreachable(reason)
        for pending in failed { worker.deliver(error, to: pending, from: self) }
        if !worker.pendingReleases.isEmpty { worker.drained(self) }
        if releaseWhenIdle { worker.release(self) }
    }

    private func unreachable(_ reason: String) -> ByteBuffer {
        LocalReply.error("CLUSTERDOWN the shard's primary \(address) is unreachable: \(reason)", allocator: worker.allocator)
    }
}

extension Upstream: ServerReplyReceiver {
    func connectionClosed(_ channel: any Channel) {
        channelClosed()
        worker.flushAll()
    }
}

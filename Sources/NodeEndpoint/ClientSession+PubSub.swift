import NIOCore
import RedisWire

extension ClientSession {
    /// Whether the client has subscriptions, or asked for some and has no answer yet.
    var isSubscribed: Bool {
        func subscribed(_ stream: Upstream) -> Bool { stream.subscriptions > 0 || stream.awaitingConfirmation }
        if let globalStream, subscribed(globalStream) { return true }
        return !shardStreams.isEmpty && shardStreams.values.contains(where: subscribed)
    }

    /// `(P)SUBSCRIBE`/`(P)UNSUBSCRIBE` go to one server (a cluster delivers every published message
    /// to every node); `SSUBSCRIBE`/`SUNSUBSCRIBE` to the server of the shard channel's slot.
    /// The servers' confirmations and messages come back as they are.
    func subscribe(_ request: ClientRequest, name: CommandName) {
        switch name {
        case "SSUBSCRIBE", "SUNSUBSCRIBE":
            if request.arguments.count == 1, name == "SUNSUBSCRIBE", !shardStreams.isEmpty {
                for stream in shardStreams.values { send(request, on: stream) }
                return
            }
            let slot = request.arguments.count > 1 ? CommandRoute.slot(of: request.arguments[1]) : nil
            guard let address = slot.flatMap(worker.address(ofSlot:)) ?? worker.map?.shards.first?.primary else {
                return reply(error("CLUSTERDOWN Hash slot not served"))
            }
            let stream = shardStreams[address] ?? openStream(to: address)
            shardStreams[address] = stream
            send(request, on: stream)
        default:
            guard let stream = globalStream ?? worker.anyShard().flatMap({ worker.map?.shards[$0].primary }).map(openStream) else {
                return reply(error("CLUSTERDOWN the endpoint knows no shard"))
            }
            globalStream = stream
            send(request, on: stream)
        }
    }

    /// Sends a subscription command; its confirmations come back as frames of the stream.
    private func send(_ request: ClientRequest, on stream: Upstream) {
        stream.awaitingConfirmation = true
        stream.send(request.raw, nil)
    }

    /// `PING` from a subscribed RESP2 client: the server answers it in its subscribed form.
    func sendToStream(_ request: ClientRequest) {
        (globalStream ?? shardStreams.values.first)?.send(request.raw, nil)
    }

    private func openStream(to address: ServerAddress) -> Upstream {
        let stream = worker.dedicated(to: address, resp3: resp3, for: self)
        stream.stream = self
        return stream
    }

    /// A frame from a subscribed connection: a confirmation or a message, passed on in order
    /// (RESP2), or at once (RESP3: pushes may come between replies). The connection stays the
    /// client's until it leaves: more of its frames may be on their way.
    func streamed(_ frame: ByteBuffer, from upstream: Upstream) {
        guard !closed else { return }
        if let elements = ReplyFrameScanner.elements(of: frame), elements.count == 3,
           let kind = ReplyFrameScanner.bulkText(of: elements[0]),
           let count = ReplyFrameScanner.integer(of: elements[2]),
           Self.subscriptionKinds.contains(kind) {
            upstream.subscriptions = count
            upstream.awaitingConfirmation = false
        }
        if resp3 { push(frame) } else { reply(frame) }
        if unreadBytes > worker.configuration.maxUnreadBytesPerSubscriber {
            worker.log("client \(id) left more than \(worker.configuration.maxUnreadBytesPerSubscriber) bytes of messages unread; disconnected")
            context?.close(promise: nil)
        }
    }

    /// A subscribed connection broke: its subscriptions are gone, so the client is disconnected,
    /// as it would be from the server, and subscribes again when it reconnects.
    func streamLost(_ upstream: Upstream) {
        context?.close(promise: nil)
    }

    private static let subscriptionKinds: Set<String> = ["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"]
}

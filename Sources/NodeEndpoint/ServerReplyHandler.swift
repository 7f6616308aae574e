import NIOCore

/// What takes a server connection's replies, one whole reply at a time, and learns that it closed.
protocol ServerReplyReceiver: AnyObject {
    func received(_ frame: ByteBuffer)
    func connectionClosed(_ channel: any Channel)
}

/// Passes a server connection's replies (cut by `ReplyFrameDecoder`) and its closing to its receiver.
final class ServerReplyHandler<Receiver: ServerReplyReceiver>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let receiver: Receiver

    init(receiver: Receiver) {
        self.receiver = receiver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receiver.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        receiver.connectionClosed(context.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

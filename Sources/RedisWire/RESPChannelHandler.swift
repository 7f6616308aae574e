import NIOCore

/// A command on its way to the server, with the promise its reply fulfils.
struct RESPRequest {
    var bytes: [UInt8]
    var reply: EventLoopPromise<RESPValue>
}

/// Writes commands and matches replies to them in order (Redis answers in order), so one
/// connection can carry pipelined commands. Any protocol error or a closed connection fails
/// every command still waiting.
final class RESPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = ByteBuffer

    private var pending: [UInt8] = []
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let parser = RESPParser()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.reply)
        var buffer = context.channel.allocator.buffer(capacity: request.bytes.count)
        buffer.writeBytes(request.bytes)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        do {
            while let (value, length) = try parser.parse(pending) {
                pending.removeFirst(length)
                guard let reply = waiting.popFirst() else {
                    throw RedisError.protocolViolation("the server sent a reply nobody asked for")
                }
                reply.succeed(value)
            }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError(.closed, "connection closed by the server"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisError(.closed, "connection failed: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let reply = waiting.popFirst() { reply.fail(error) }
    }
}

import NIOCore

/// Cuts a server's byte stream into whole replies (RESP2 and RESP3), without decoding them:
/// each reply is passed on as a slice of the bytes that arrived, so it reaches the client
/// exactly as the server sent it.
struct ReplyFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    private var scanner = ReplyFrameScanner()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = try scanner.scan(buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: length)!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

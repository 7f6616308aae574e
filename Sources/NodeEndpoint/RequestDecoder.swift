import NIOCore

/// Cuts a client's byte stream into commands: RESP arrays of bulk strings, or inline commands
/// (a line of words, as typed into telnet). Sizes are bounded as Redis bounds them, and what is
/// not a command fails with the text Redis would send.
///
/// An array that arrives in pieces is scanned once: the decoder remembers the arguments it has
/// seen until the rest arrives.
struct RequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = ClientRequest

    /// The limits of one request.
    struct Limits: Sendable {
        /// The largest argument (Redis' `proto-max-bulk-len`).
        var bulkBytes = 512 << 20
        /// The most arguments in one command.
        var arguments = 1 << 20
        /// The most bytes of one command, all arguments together.
        var requestBytes = 512 << 20
        /// The longest inline command (Redis' `PROTO_INLINE_MAX_SIZE`).
        static let inlineBytes = 64 << 10

        /// What a client that must authenticate may send before it has: as Redis 7 allows.
        static let unauthenticated = Limits(bulkBytes: 16 << 10, arguments: 10, requestBytes: 64 << 10)
    }

    /// The limits of the next request (tighter until the client has authenticated).
    var limits: Limits
    private var expected = 0
    private var ranges: [(start: Int, length: Int)] = []
    private var cursor = 0

    init(limits: Limits) {
        self.limits = limits
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let request = try next(from: &buffer, allocator: context.channel.allocator) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(request))
        return .continue
    }

    /// The next whole command at the start of `buffer`, read past; nil while none is complete.
    /// - Throws: `RequestError` for input that is not a command.
    mutating func next(from buffer: inout ByteBuffer, allocator: ByteBufferAllocator) throws -> ClientRequest? {
        while let first = buffer.readableBytesView.first {
            if first != UInt8(ascii: "*") {
                guard let request = try decodeInline(&buffer, allocator: allocator) else { return nil }
                // An empty line: Redis reads past it.
                if let request { return request }
                continue
            }
            guard let length = try scanMultibulk(buffer) else { return nil }
            let raw = buffer.readSlice(length: length)!
            let arguments = RequestArguments(raw: raw, places: ranges)
            expected = 0
            ranges.removeAll(keepingCapacity: ranges.capacity <= 64)
            cursor = 0
            // `*0` and `*-1` are no command at all: Redis reads past them.
            if !arguments.isEmpty { return ClientRequest(arguments: arguments) }
        }
        return nil
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// The length of the complete array at the reader index, nil while it is incomplete.
    private mutating func scanMultibulk(_ buffer: ByteBuffer) throws -> Int? {
        try buffer.withUnsafeReadableBytes { bytes throws -> Int? in
            if cursor == 0 {
                guard let end = Self.lineEnd(bytes, from: 1, limit: Limits.inlineBytes) else {
                    if bytes.count > Limits.inlineBytes { throw RequestError("Protocol error: too big mbulk count string") }
                    return nil
                }
                guard let count = Self.number(bytes, 1, end), count <= limits.arguments else {
                    throw RequestError("Protocol error: invalid multibulk length")
                }
                expected = max(count, 0)
                ranges.reserveCapacity(min(expected, 1024))
                cursor = end + 2
            }
            while ranges.count < expected {
                guard cursor < bytes.count else { return nil }
                guard bytes[cursor] == UInt8(ascii: "$") else {
                    throw RequestError("Protocol error: expected '$', got '\(Self.printable(bytes[cursor]))'")
                }
                guard let end = Self.lineEnd(bytes, from: cursor + 1, limit: Limits.inlineBytes) else {
                    if bytes.count - cursor > Limits.inlineBytes { throw RequestError("Protocol error: too big bulk count string") }
                    return nil
                }
                guard let length = Self.number(bytes, cursor + 1, end), length >= 0, length <= limits.bulkBytes else {
                    throw RequestError("Protocol error: invalid bulk length")
                }
                let start = end + 2
                guard start + length <= limits.requestBytes else { throw RequestError("Protocol error: request larger than \(limits.requestBytes) bytes") }
                guard start + length + 2 <= bytes.count else { return nil }
                guard bytes[start + length] == 13, bytes[start + length + 1] == 10 else {
                    throw RequestError("Protocol error: bulk string not terminated by CRLF")
                }
                ranges.append((start, length))
                cursor = start + length + 2
            }
            return cursor
        }
    }

    /// An inline command; `.some(nil)` for an empty line, which Redis skips.
    private func decodeInline(_ buffer: inout ByteBuffer, allocator: ByteBufferAllocator) throws -> ClientRequest?? {
        guard let newline = buffer.readableBytesView.firstIndex(of: 10) else {
            if buffer.readableBytes > Limits.inlineBytes { throw RequestError("Protocol error: too big inline request") }
            return nil
        }
        guard newline - buffer.readerIndex <= Limits.inlineBytes else { throw RequestError("Protocol error: too big inline request") }
        var line = buffer.readSlice(length: newline - buffer.readerIndex + 1)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == 13 { line.moveWriterIndex(to: line.writerIndex - 1) }
        let words = try InlineCommand.split(Array(line.readableBytesView))
        guard !words.isEmpty else { return .some(nil) }
        let arguments = words.map { word -> ByteBuffer in
            var argument = allocator.buffer(capacity: word.count)
            argument.writeBytes(word)
            return argument
        }
        return .some(ClientRequest(arguments: arguments, allocator: allocator))
    }

    /// The index of the CR of the first CRLF at or after `start`, looking at most `limit` bytes.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int) -> Int? {
        var index = start
        let stop = min(bytes.count - 1, start + limit)
        while index < stop {
            if bytes[index] == 13, bytes[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }

    /// The decimal number in `bytes[start..<end]`; nil when it is not one.
    private static func number(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        try? ReplyFrameScanner.number(bytes, start, end)
    }

    private static func printable(_ byte: UInt8) -> String {
        (32..<127).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}

/// A client's input that is not a command: the client gets `-ERR` with this text and its
/// connection closes; no other client notices.
struct RequestError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

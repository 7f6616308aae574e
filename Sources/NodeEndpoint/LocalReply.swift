import NIOCore

/// Replies the endpoint makes itself, in the protocol the client speaks (RESP2 unless it said `HELLO 3`).
struct LocalReply {
    private(set) var buffer: ByteBuffer
    let resp3: Bool

    init(allocator: ByteBufferAllocator, resp3: Bool, capacity: Int = 64) {
        buffer = allocator.buffer(capacity: capacity)
        self.resp3 = resp3
    }

    /// A reply of one value, built by `build`.
    private static func one(_ allocator: ByteBufferAllocator, resp3: Bool = false, _ build: (inout LocalReply) -> Void) -> ByteBuffer {
        var reply = LocalReply(allocator: allocator, resp3: resp3)
        build(&reply)
        return reply.buffer
    }

    static func simple(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        one(allocator) { $0.simple(text) }
    }

    /// An error reply; `message` starts with its code (`ERR`, `CROSSSLOT`, …). Line breaks become spaces.
    static func error(_ message: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        one(allocator) { $0.line(UInt8(ascii: "-"), String(message.map { $0.isNewline ? " " : $0 })) }
    }

    static func integer(_ value: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        one(allocator) { $0.integer(value) }
    }

    static func bulk(_ bytes: some Sequence<UInt8>, allocator: ByteBufferAllocator) -> ByteBuffer {
        one(allocator) { $0.bulk(bytes) }
    }

    static func null(resp3: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        one(allocator, resp3: resp3) { $0.null() }
    }

    mutating func simple(_ text: String) { line(UInt8(ascii: "+"), text) }

    /// `TYPE TEXT CRLF`.
    private mutating func line(_ type: UInt8, _ text: String) {
        buffer.writeInteger(type)
        buffer.writeString(text)
        buffer.writeStaticString("\r\n")
    }

    mutating func integer(_ value: Int) { buffer.writeRESPHeader(UInt8(ascii: ":"), value) }

    mutating func bulk(_ bytes: some Sequence<UInt8>) {
        let bytes = Array(bytes)
        buffer.writeRESPHeader(UInt8(ascii: "$"), bytes.count)
        buffer.writeBytes(bytes)
        buffer.writeStaticString("\r\n")
    }

    mutating func bulk(_ text: String) { bulk(Array(text.utf8)) }

    /// A verbatim string in RESP3 (`=`, as Redis answers INFO and CLIENT INFO), a bulk string in RESP2.
    mutating func verbatim(_ text: String) {
        guard resp3 else { return bulk(text) }
        let bytes = Array(text.utf8)
        buffer.writeRESPHeader(UInt8(ascii: "="), bytes.count + 4)
        buffer.writeStaticString("txt:")
        buffer.writeBytes(bytes)
        buffer.writeStaticString("\r\n")
    }

    /// A null: `_` in RESP3, `$-1` in RESP2.
    mutating func null() {
        if resp3 { buffer.writeStaticString("_\r\n") } else { buffer.writeStaticString("$-1\r\n") }
    }

    mutating func arrayHeader(_ count: Int) { buffer.writeRESPHeader(UInt8(ascii: "*"), count) }

    /// A RESP3 push of `count` elements.
    mutating func pushHeader(_ count: Int) { buffer.writeRESPHeader(UInt8(ascii: ">"), count) }

    /// A map of `count` pairs: `%` in RESP3, a flat array of 2 × `count` in RESP2.
    mutating func mapHeader(_ count: Int) {
        if resp3 { buffer.writeRESPHeader(UInt8(ascii: "%"), count) } else { arrayHeader(count * 2) }
    }

    /// Appends a reply (or an element) that is already encoded.
    mutating func append(_ frame: ByteBuffer) {
        var frame = frame
        buffer.writeBuffer(&frame)
    }
}

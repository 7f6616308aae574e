import NIOCore

/// Replies the endpoint makes itself, in the protocol the client speaks (RESP2 unless it said `HELLO 3`).
struct LocalReply {
    private(set) var buffer: ByteBuffer
    let resp3: Bool

    init(allocator: ByteBufferAllocator, resp3: Bool, capacity: Int = 64) {
        buffer = allocator.buffer(capacity: capacity)
        self.resp3 = resp3
    }

    static func simple(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: text.utf8.count + 3)
        buffer.writeStaticString("+")
        buffer.writeString(text)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// An error reply; `message` starts with its code (`ERR`, `CROSSSLOT`, …). Line breaks become spaces.
    static func error(_ message: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let line = String(message.map { $0 == "\r" || $0 == "\n" ? " " : $0 })
        var buffer = allocator.buffer(capacity: line.utf8.count + 3)
        buffer.writeStaticString("-")
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    static func integer(_ value: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 24)
        buffer.writeRESPHeader(UInt8(ascii: ":"), value)
        return buffer
    }

    static func bulk(_ bytes: some Sequence<UInt8>, allocator: ByteBufferAllocator) -> ByteBuffer {
        var reply = LocalReply(allocator: allocator, resp3: false)
        reply.bulk(bytes)
        return reply.buffer
    }

    static func null(resp3: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var reply = LocalReply(allocator: allocator, resp3: resp3)
        reply.null()
        return reply.buffer
    }

    mutating func simple(_ text: String) {
        buffer.writeStaticString("+")
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

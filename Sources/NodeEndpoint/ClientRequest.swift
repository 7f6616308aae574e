import NIOCore

/// One command a client sent: its bytes as RESP (an inline command is turned into RESP) and
/// its arguments as slices of those bytes.
struct ClientRequest {
    /// The command's name and arguments, binary-safe.
    let arguments: RequestArguments
    /// The command as the server should receive it.
    var raw: ByteBuffer { arguments.raw }

    /// The command's name ("GET"); empty for an empty request.
    var name: CommandName {
        arguments.first.map(CommandName.init) ?? ""
    }

    /// Argument `index` as text (names, numbers, options).
    func text(_ index: Int) -> String? {
        guard index < arguments.count else { return nil }
        return String(decoding: arguments[index].readableBytesView, as: UTF8.self)
    }

    /// Argument `index` as an integer.
    func integer(_ index: Int) -> Int? { text(index).flatMap { Int($0) } }

    /// A request of `arguments`, encoded as RESP.
    init(arguments: [ByteBuffer], allocator: ByteBufferAllocator) {
        var raw = allocator.buffer(capacity: arguments.reduce(16) { $0 + $1.readableBytes + 16 })
        raw.writeMultibulk(arguments)
        self.init(raw: raw)
    }

    /// A request whose arguments are read from `raw`, which must be a well-formed RESP array of bulk strings.
    init(raw: ByteBuffer) {
        var reader = raw
        var places: [(start: Int, length: Int)] = []
        if let count = reader.readRESPNumber(after: UInt8(ascii: "*")), count > 0 {
            places.reserveCapacity(count)
            for _ in 0..<count {
                guard let length = reader.readRESPNumber(after: UInt8(ascii: "$")), reader.readableBytes >= length + 2 else { break }
                places.append((reader.readerIndex - raw.readerIndex, length))
                reader.moveReaderIndex(forwardBy: length + 2)
            }
        }
        self.init(arguments: RequestArguments(raw: raw, places: places))
    }

    init(arguments: RequestArguments) {
        self.arguments = arguments
    }
}

extension ByteBuffer {
    /// Writes `arguments` as a RESP array of bulk strings.
    mutating func writeMultibulk(_ arguments: [ByteBuffer]) {
        writeRESPHeader(UInt8(ascii: "*"), arguments.count)
        for argument in arguments {
            writeRESPHeader(UInt8(ascii: "$"), argument.readableBytes)
            writeImmutableBuffer(argument)
            writeStaticString("\r\n")
        }
    }

    /// Writes `TYPE NUMBER CRLF`.
    mutating func writeRESPHeader(_ type: UInt8, _ number: Int) {
        writeInteger(type)
        writeString(String(number))
        writeStaticString("\r\n")
    }

    /// Reads `TYPE NUMBER CRLF` and returns the number.
    mutating func readRESPNumber(after type: UInt8) -> Int? {
        guard readInteger(as: UInt8.self) == type,
              let end = readableBytesView.firstIndex(of: 13) else { return nil }
        let number = getString(at: readerIndex, length: end - readerIndex).flatMap { Int($0) }
        moveReaderIndex(to: end + 2)
        return number
    }
}

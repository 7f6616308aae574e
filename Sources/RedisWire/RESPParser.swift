/// Parses RESP2 replies from bytes, one complete value at a time.
///
/// Incomplete input yields nil and consumes nothing, so bytes can be fed as they arrive.
/// Sizes and nesting are bounded so a broken or hostile peer cannot make it allocate wildly.
public struct RESPParser: Sendable {
    /// The largest bulk string accepted (Redis' own limit).
    public static let maximumBulkLength = 512 << 20
    /// The most elements in one array.
    public static let maximumArrayCount = 16 << 20
    /// How deeply arrays may nest.
    public static let maximumDepth = 32

    public init() {}

    /// Parses one value from the start of `bytes`.
    /// - Returns: The value and how many bytes it took, or nil if `bytes` holds no complete value yet.
    /// - Throws: `RedisError` for input that is not RESP.
    public func parse(_ bytes: some RandomAccessCollection<UInt8>) throws(RedisError) -> (value: RESPValue, length: Int)? {
        let array = Array(bytes)
        var index = 0
        guard let value = try parseValue(array, &index, depth: 0) else { return nil }
        return (value, index)
    }

    private func parseValue(_ bytes: [UInt8], _ index: inout Int, depth: Int) throws(RedisError) -> RESPValue? {
        guard index < bytes.count else { return nil }
        let type = bytes[index]
        var cursor = index + 1
        guard let line = readLine(bytes, &cursor) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            index = cursor
            return .simpleString(line)
        case UInt8(ascii: "-"):
            index = cursor
            return .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int64(line) else { throw RedisError.protocolViolation("bad integer '\(line)'") }
            index = cursor
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= Self.maximumBulkLength else {
                throw RedisError.protocolViolation("bad bulk length '\(line)'")
            }
            if length == -1 {
                index = cursor
                return .bulkString(nil)
            }
            guard bytes.count - cursor >= length + 2 else { return nil }
            let payload = Array(bytes[cursor..<(cursor + length)])
            guard bytes[cursor + length] == 13, bytes[cursor + length + 1] == 10 else {
                throw RedisError.protocolViolation("bulk string not terminated by CRLF")
            }
            index = cursor + length + 2
            return .bulkString(payload)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= Self.maximumArrayCount else {
                throw RedisError.protocolViolation("bad array length '\(line)'")
            }
            guard depth < Self.maximumDepth else { throw RedisError.protocolViolation("arrays nest too deeply") }
            if count == -1 {
                index = cursor
                return .array(nil)
            }
            var items: [RESPValue] = []
            items.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard let item = try parseValue(bytes, &cursor, depth: depth + 1) else { return nil }
                items.append(item)
            }
            index = cursor
            return .array(items)
        default:
            throw RedisError.protocolViolation("unknown reply type byte \(type)")
        }
    }

    /// The text up to the next CRLF, advancing past it; nil when no CRLF has arrived yet.
    private func readLine(_ bytes: [UInt8], _ cursor: inout Int) -> String? {
        var end = cursor
        while end + 1 < bytes.count {
            if bytes[end] == 13, bytes[end + 1] == 10 {
                let text = String(decoding: bytes[cursor..<end], as: UTF8.self)
                cursor = end + 2
                return text
            }
            end += 1
        }
        return nil
    }

    /// A command as RESP: an array of bulk strings.
    public static func encode(_ arguments: [String]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            let bytes = Array(argument.utf8)
            out += Array("$\(bytes.count)\r\n".utf8)
            out += bytes
            out += [13, 10]
        }
        return out
    }
}

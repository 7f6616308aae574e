/// A value of the Redis protocol (RESP2), as a server sends it.
public enum RESPValue: Sendable, Hashable, CustomStringConvertible {
    /// `+OK`
    case simpleString(String)
    /// `-ERR …`: the server refused the command.
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$5\r\nhello`, or nil for `$-1`.
    case bulkString([UInt8]?)
    /// `*2\r\n…`, or nil for `*-1`.
    case array([RESPValue]?)

    /// The value as text: simple strings, bulk strings and integers.
    public var string: String? {
        switch self {
        case let .simpleString(text): text
        case let .bulkString(bytes?): String(decoding: bytes, as: UTF8.self)
        case let .integer(value): String(value)
        default: nil
        }
    }

    /// The value as an integer: integers and numeric strings.
    public var integer: Int64? {
        if case let .integer(value) = self { return value }
        return string.flatMap { Int64($0) }
    }

    /// The elements, if this is a non-null array.
    /// Whether this is an error reply.
    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    public var elements: [RESPValue]? {
        if case let .array(items?) = self { return items }
        return nil
    }

    /// Whether this is a null bulk string or array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }

    public var description: String {
        switch self {
        case let .simpleString(text): text
        case let .error(text): "(error) \(text)"
        case let .integer(value): "(integer) \(value)"
        case .bulkString(nil), .array(nil): "(nil)"
        case let .bulkString(bytes?): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case let .array(items?): "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// A failure talking to a Redis server, with the address it concerns.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure; callers match on it.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let connect = Kind(name: "connect")
        public static let timeout = Kind(name: "timeout")
        public static let closed = Kind(name: "closed")
        public static let protocolViolation = Kind(name: "protocol")
        public static let server = Kind(name: "server")
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func protocolViolation(_ message: String) -> RedisError { RedisError(.protocolViolation, message) }

    public var description: String { message }
}

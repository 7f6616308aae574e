/// An opaque code naming a class of backend failure, so callers and tests can match on it
/// without an exhaustive public enum. Backends add their own codes in extensions.
public struct BackendErrorCode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stable identifier, e.g. `unknown-shard`.
    public let rawValue: String
    /// Creates a code from its identifier.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let failoverNotApplied = BackendErrorCode("failover-not-applied")
    public static let noCopy = BackendErrorCode("no-copy")
    public static let noPrimary = BackendErrorCode("no-primary")
    public static let nodeDeleted = BackendErrorCode("node-deleted")
    public static let nodeDown = BackendErrorCode("node-down")
    public static let nodeHoldsPrimary = BackendErrorCode("node-holds-primary")
    public static let nodeNotActive = BackendErrorCode("node-not-active")
    public static let nodeNotLive = BackendErrorCode("node-not-live")
    public static let replicaNotReady = BackendErrorCode("replica-not-ready")
    public static let unknownCache = BackendErrorCode("unknown-cache")
    public static let unknownNode = BackendErrorCode("unknown-node")
    public static let unknownShard = BackendErrorCode("unknown-shard")
    public static let wrongBackend = BackendErrorCode("wrong-backend")
    public static let stateRequired = BackendErrorCode("state-required")
    public static let unknownBackend = BackendErrorCode("unknown-backend")
    public static let faultNotInjectable = BackendErrorCode("fault-not-injectable")
    public static let timeout = BackendErrorCode("timeout")
}

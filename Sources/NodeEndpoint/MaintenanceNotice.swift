import NIOCore
import RedisWire

/// A maintenance notification (a "smart client handoff"): a RESP3 push a client that asked
/// with `CLIENT MAINT_NOTIFICATIONS ON` gets before and after maintenance touches what serves
/// it, in the format of the managed services that client libraries act on (redis-py ≥ 7,
/// go-redis ≥ 9.16, Lettuce 7, node-redis 5.9, Jedis 8.1).
enum MaintenanceNotice: Sendable, Equatable {
    /// A shard fails over within `seconds`.
    case failingOver(seconds: Int)
    case failedOver
    /// A shard copy moves; it takes about `seconds`.
    case migrating(seconds: Int)
    case migrated
    /// This endpoint closes in `seconds`; `address` serves the client meanwhile and after.
    case moving(seconds: Int, address: ServerAddress?)

    /// The push, `>N name id [time [address]]`, with integers where clients read integers.
    /// - Parameter endpointType: What the client asked `MOVING` to name (`none`: null).
    func frame(id: Int, endpointType: MovingEndpointType, allocator: ByteBufferAllocator) -> ByteBuffer {
        var reply = LocalReply(allocator: allocator, resp3: true, capacity: 64)
        switch self {
        case let .failingOver(seconds), let .migrating(seconds):
            reply.pushHeader(3)
            reply.bulk(self == .failingOver(seconds: seconds) ? "FAILING_OVER" : "MIGRATING")
            reply.integer(id)
            reply.integer(seconds)
        case .failedOver, .migrated:
            reply.pushHeader(2)
            reply.bulk(self == .failedOver ? "FAILED_OVER" : "MIGRATED")
            reply.integer(id)
        case let .moving(seconds, address):
            reply.pushHeader(4)
            reply.bulk("MOVING")
            reply.integer(id)
            reply.integer(seconds)
            if let address, endpointType != .none { reply.bulk(address.description) } else { reply.null() }
        }
        return reply.buffer
    }
}

/// What a `MOVING` notification names, as the client asked (`moving-endpoint-type`).
enum MovingEndpointType: String, Sendable {
    case internalIP = "internal-ip"
    case internalFQDN = "internal-fqdn"
    case externalIP = "external-ip"
    case externalFQDN = "external-fqdn"
    case none
}

import Foundation
import Logging
import NIOCore
import NIOPosix
import RedisWire

/// maintctl's way to steer the endpoint: a unix socket in the node's directory that only the
/// user running the endpoint may open (mode 0600), speaking RESP.
///
/// Commands:
/// - `PING`; `RELOAD` reads the slot map now and answers once it is installed; `STATUS`
///   answers a JSON document of the endpoint's health;
/// - `HOLD PRIMARY MS`: requests for the shard of `PRIMARY` wait (a planned failover begins;
///   clients that asked are told `FAILING_OVER`); after `MS` they get `-TRYAGAIN`;
/// - `RELEASE PRIMARY NEW`: the shard is served by `NEW` now, what waited goes there in order
///   (`FAILED_OVER`); an error when the hold had expired;
/// - `NOTIFY MIGRATING SECONDS` and `NOTIFY MIGRATED`: a shard copy moves;
/// - `LISTEN HOST:PORT`: serve that address too (one a leaving endpoint hands over; the
///   listeners share their port, so the address never refuses a client); `UNLISTEN`: accept
///   no more clients (the node leaves); `UNLISTEN HOST:PORT`: stop serving that address;
/// - `MOVING HOST:PORT|null SECONDS`: tell the clients that asked where to go, and close every
///   client connection `SECONDS` later;
/// - `PEERS [HOST:PORT…]`: the endpoints of the other nodes; `LEADER yes|no`: whether this one
///   fails dead primaries over; `LEADER AFTER HOST:PORT…`: it does while none of those endpoints
///   (the leader's and the others ahead of it in line) answers; `HEALING PAUSE MS` (a lease maintctl renews while its own
///   detector watches) and `HEALING RESUME`.
struct ControlChannel: Sendable {
    let path: String
    let listen: ServerAddress
    let keeper: SlotMapKeeper
    let notices: NoticeBoard
    let listeners: Listeners
    let healer: SelfHealer
    let shared: EndpointShared
    let logger: Logger

    func run(on group: any EventLoopGroup) async throws {
        // Made 0600 (a socket takes 0777 less the umask): no moment when its mode is wider.
        let previous = umask(0o177)
        let server: NIOAsyncChannel<NIOAsyncChannel<ClientRequest, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RequestDecoder(limits: .init())))
                        return try NIOAsyncChannel<ClientRequest, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            umask(previous)
        } catch {
            umask(previous)
            throw error
        }
        chmod(path, 0o600)
        defer { unlink(path) }
        try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { connections in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        connections.addTask { await serve(connection) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ClientRequest, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            for try await request in inbound {
                try await outbound.write(await answer(request, allocator: connection.channel.allocator))
            }
        }
    }

    private func answer(_ request: ClientRequest, allocator: ByteBufferAllocator) async -> ByteBuffer {
        switch request.name {
        case "PING":
            return LocalReply.simple("PONG", allocator: allocator)
        case "RELOAD":
            do {
                try await keeper.refresh()
                return LocalReply.simple("OK", allocator: allocator)
            } catch {
                return LocalReply.error("ERR cannot read the slot map: \(error)", allocator: allocator)
            }
        case "STATUS":
            let map = await keeper.map
            let status = EndpointStatus(
                ready: map != nil, listen: listen.description, listening: await listeners.addresses.map(\.description),
                shards: map?.shards.count ?? 0, slotsCovered: map?.coversAllSlots ?? false,
                primaries: map?.shards.map(\.primary.description) ?? [], held: await keeper.heldPrimaries().map(\.description),
                clients: shared.clientCount, applicationClients: shared.applicationClientCount,
                coordinates: await healer.isCoordinating, standsInAfter: await healer.standsInAfter.map(\.description), healingPaused: await healer.isPaused, promotions: await healer.promotions,
                pid: EndpointVersion.processID, version: EndpointVersion.current)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = .sortedKeys
            return LocalReply.bulk((try? encoder.encode(status)) ?? Data(), allocator: allocator)
        case "HOLD":
            guard request.arguments.count == 3, let primary = request.text(1).flatMap(ServerAddress.init),
                  let milliseconds = request.text(2).flatMap(Int.init), milliseconds > 0 else {
                return LocalReply.error("ERR HOLD PRIMARY MILLISECONDS", allocator: allocator)
            }
            guard await keeper.hold(primary, limit: .milliseconds(Int64(milliseconds))) else {
                return LocalReply.error("ERR \(primary) is no primary in this endpoint's slot map", allocator: allocator)
            }
            await notices.notify(.failingOver(seconds: (milliseconds + 999) / 1000))
            return LocalReply.simple("OK", allocator: allocator)
        case "RELEASE":
            guard request.arguments.count == 3, let primary = request.text(1).flatMap(ServerAddress.init),
                  let successor = request.text(2).flatMap(ServerAddress.init) else {
                return LocalReply.error("ERR RELEASE PRIMARY NEW-PRIMARY", allocator: allocator)
            }
            let released = await keeper.release(primary, to: successor)
            await notices.notify(.failedOver)
            return released ? LocalReply.simple("OK", allocator: allocator)
                : LocalReply.error("EXPIRED the hold of \(primary) had ended; its requests were answered TRYAGAIN", allocator: allocator)
        case "NOTIFY":
            switch (request.text(1)?.uppercased(), request.arguments.count) {
            case ("MIGRATING", 3):
                guard let seconds = request.text(2).flatMap(Int.init), seconds >= 0 else { break }
                await notices.notify(.migrating(seconds: seconds))
                return LocalReply.simple("OK", allocator: allocator)
            case ("MIGRATED", 2):
                await notices.notify(.migrated)
                return LocalReply.simple("OK", allocator: allocator)
            default:
                break
            }
            return LocalReply.error("ERR NOTIFY MIGRATING SECONDS | NOTIFY MIGRATED", allocator: allocator)
        case "UNLISTEN":
            if request.arguments.count == 1 {
                await listeners.closeAll()
            } else if request.arguments.count == 2, let address = request.text(1).flatMap(ServerAddress.init) {
                await listeners.close(address)
            } else {
                return LocalReply.error("ERR UNLISTEN [HOST:PORT]", allocator: allocator)
            }
            return LocalReply.simple("OK", allocator: allocator)
        case "LISTEN":
            guard request.arguments.count == 2, let address = request.text(1).flatMap(ServerAddress.init) else {
                return LocalReply.error("ERR LISTEN HOST:PORT", allocator: allocator)
            }
            do {
                try await listeners.takeOver(address, logger: logger)
                return LocalReply.simple("OK", allocator: allocator)
            } catch {
                return LocalReply.error("ERR cannot listen on \(address): \(error)", allocator: allocator)
            }
        case "MOVING":
            guard request.arguments.count == 3, let target = request.text(1), let seconds = request.text(2).flatMap(Int.init), seconds >= 0,
                  target == "null" || ServerAddress(target) != nil else {
                return LocalReply.error("ERR MOVING HOST:PORT|null SECONDS", allocator: allocator)
            }
            await notices.move(to: ServerAddress(target), in: seconds)
            return LocalReply.simple("OK", allocator: allocator)
        case "PEERS":
            let peers = (1..<max(1, request.arguments.count)).compactMap { request.text($0).flatMap(ServerAddress.init) }
            guard peers.count == request.arguments.count - 1 else { return LocalReply.error("ERR PEERS [HOST:PORT…]", allocator: allocator) }
            await healer.setPeers(peers)
            return LocalReply.simple("OK", allocator: allocator)
        case "LEADER":
            let ahead = (2..<max(2, request.arguments.count)).compactMap { request.text($0).flatMap(ServerAddress.init) }
            switch (request.text(1)?.lowercased(), request.arguments.count) {
            case ("yes", 2): await healer.coordinate(true)
            case ("no", 2): await healer.coordinate(false)
            case ("after", let count) where count > 2 && ahead.count == count - 2: await healer.standIn(after: ahead)
            default: return LocalReply.error("ERR LEADER yes|no|AFTER HOST:PORT…", allocator: allocator)
            }
            return LocalReply.simple("OK", allocator: allocator)
        case "HEALING":
            switch (request.text(1)?.uppercased(), request.arguments.count) {
            case ("PAUSE", 3):
                guard let milliseconds = request.text(2).flatMap(Int.init), (1...600_000).contains(milliseconds) else { break }
                await healer.pause(for: .milliseconds(milliseconds))
                // Paused once no promotion is under way: maintctl's detector starts on an answer.
                for _ in 0..<500 where await healer.isPromoting { try? await Task.sleep(for: .milliseconds(10)) }
                return LocalReply.simple("OK", allocator: allocator)
            case ("RESUME", 2):
                await healer.resume()
                return LocalReply.simple("OK", allocator: allocator)
            default:
                break
            }
            return LocalReply.error("ERR HEALING PAUSE MILLISECONDS | HEALING RESUME", allocator: allocator)
        default:
            return LocalReply.error("ERR unknown control command '\(request.text(0) ?? "")'; known: PING, RELOAD, STATUS, HOLD, RELEASE, NOTIFY, UNLISTEN, LISTEN, MOVING, PEERS, LEADER, HEALING",
                                    allocator: allocator)
        }
    }
}

/// The endpoint's health, as the control channel's `STATUS` reports it.
public struct EndpointStatus: Codable, Sendable, Equatable {
    public var ready: Bool
    /// Where clients connect.
    public var listen: String
    /// Every address it accepts clients on now: `listen` and those it took over; none once its node left.
    public var listening: [String]
    public var shards: Int
    public var slotsCovered: Bool
    public var primaries: [String]
    /// The primaries whose shard's requests it holds now (a planned failover in flight); absent
    /// from endpoints older than this field.
    public var held: [String]?
    public var clients: Int
    /// The clients that are applications: not maintctl's failure detector or peer endpoints
    /// (connections that asked `MAINTCTL.HEALTH`); absent from endpoints older than this field.
    public var applicationClients: Int?
    /// Whether it fails dead primaries over (it runs on the leader node).
    public var coordinates: Bool
    /// The endpoints it stands in for, in line, while none of them answers; absent from
    /// endpoints older than this field.
    public var standsInAfter: [String]?
    /// Whether maintctl's own detector watches the cache now, and the endpoint's healing waits.
    public var healingPaused: Bool
    /// Primaries it failed over since it started.
    public var promotions: Int
    public var pid: Int
    public var version: String
}

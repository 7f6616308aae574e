import Foundation
import Logging
import NIOCore
import NIOPosix

/// maintctl's way to steer the endpoint: a unix socket in the node's directory that only the
/// user running the endpoint may open (mode 0600), speaking RESP.
///
/// Commands: `PING`; `RELOAD` reads the slot map now and answers once it is installed;
/// `STATUS` answers a JSON document of the endpoint's health.
struct ControlChannel: Sendable {
    let path: String
    let listen: ServerAddress
    let keeper: SlotMapKeeper
    let shared: EndpointShared
    let logger: Logger

    func run(on group: any EventLoopGroup) async throws {
        let previous = umask(0o077)
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
                ready: map != nil, listen: listen.description, shards: map?.shards.count ?? 0, slotsCovered: map?.coversAllSlots ?? false,
                primaries: map?.shards.map(\.primary.description) ?? [], clients: shared.clientCount,
                pid: EndpointVersion.processID, version: EndpointVersion.current)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = .sortedKeys
            return LocalReply.bulk((try? encoder.encode(status)) ?? Data(), allocator: allocator)
        default:
            return LocalReply.error("ERR unknown control command '\(request.text(0) ?? "")'; known: PING, RELOAD, STATUS", allocator: allocator)
        }
    }
}

/// The endpoint's health, as the control channel's `STATUS` reports it.
public struct EndpointStatus: Codable, Sendable, Equatable {
    public var ready: Bool
    /// Where clients connect.
    public var listen: String
    public var shards: Int
    public var slotsCovered: Bool
    public var primaries: [String]
    public var clients: Int
    public var pid: Int
    public var version: String
}

import Logging
import NIOCore
import RedisWire

/// The endpoint's listening sockets: its own address, and those it took over from endpoints
/// that left (`LISTEN` after their `MOVING`), so a client finds the cache where it connected
/// before, as a managed service's endpoint address outlives the VM behind it.
actor Listeners {
    private let bind: @Sendable (ServerAddress) async throws -> any Channel
    private var channels: [(address: ServerAddress, channel: any Channel)] = []
    /// Whether the endpoint stopped accepting clients for good (its node leaves).
    private(set) var handedOff = false

    init(bind: @escaping @Sendable (ServerAddress) async throws -> any Channel) {
        self.bind = bind
    }

    /// Listens on `address` too; returns where it listens (the port the system chose for port 0).
    @discardableResult
    func open(_ address: ServerAddress) async throws -> (address: ServerAddress, channel: any Channel) {
        if let open = channels.first(where: { $0.address == address }) { return open }
        let channel = try await bind(address)
        let bound = ServerAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
        channels.append((bound, channel))
        return (bound, channel)
    }

    /// Listens on `address`, which a leaving node's endpoint still shares, and has the system
    /// send every new connection of the address here (``ReuseportSteering``), so that none is
    /// left in the leaving endpoint's queue when it stops listening.
    /// - Throws: When it cannot listen there; a system that refuses the steering only logs.
    func takeOver(_ address: ServerAddress, logger: Logger) async throws {
        guard !channels.contains(where: { $0.address == address }) else { return }
        let (_, channel) = try await open(address)
        do {
            try await ReuseportSteering.steerNewConnections(toSecondListenerOf: channel)
        } catch {
            logger.warning("new connections to \(address) are not steered here (a client could be reset when the leaving endpoint stops): \(error)")
        }
    }

    /// Stops accepting clients on `address` (one it had taken over, when the hand-over it was
    /// for failed); the clients connected stay.
    func close(_ address: ServerAddress) async {
        guard let index = channels.firstIndex(where: { $0.address == address }) else { return }
        let closing = channels.remove(at: index)
        try? await closing.channel.close()
    }

    /// Stops accepting clients on every address; the clients connected stay.
    func closeAll() async {
        handedOff = true
        let closing = channels
        channels = []
        for listener in closing { try? await listener.channel.close() }
    }

    var addresses: [ServerAddress] { channels.map(\.address) }
}

import NIOCore
import RedisWire

/// Heartbeats every server of the cache, primaries and replicas: a `PING` every `heartbeat` on
/// a connection of its own per server, answered or not independently of the others, so one that
/// stalls delays no other's. What each heard is kept in `EndpointShared`, where the coordinator,
/// peer endpoints and maintctl's rollout (both asking `MAINTCTL.HEALTH`) read it: the endpoints
/// are the cache's one failure detector.
///
/// The heartbeats run on one event loop (``ServerWatch``), driven by its timer: a `PING` costs
/// a write and a read there, and no hop between threads.
struct HealthMonitor: Sendable {
    let keeper: SlotMapKeeper
    let shared: EndpointShared
    let eventLoop: any EventLoop
    let settings: ServerWatch.Settings

    /// Watches the servers of the current slot map until the task is cancelled; follows the
    /// map every 5 heartbeats.
    func run() async {
        let (eventLoop, shared, settings) = (eventLoop, shared, settings)
        guard let watches = try? await eventLoop.submit({
            NIOLoopBound(ServerWatches(eventLoop: eventLoop, shared: shared, settings: settings), eventLoop: eventLoop)
        }).get() else { return }
        let ticks = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: settings.heartbeat) { _ in watches.value.tick() }
        while !Task.isCancelled {
            // Replicas too: maintctl declares a node down only when every server on it is silent.
            let servers = Set(await keeper.map?.servers ?? [])
            eventLoop.execute { watches.value.follow(servers) }
            try? await Task.sleep(for: .nanoseconds(settings.heartbeat.nanoseconds * 5))
        }
        ticks.cancel()
        eventLoop.execute { watches.value.follow([]) }
    }
}

/// The watched servers, on the monitor's event loop.
final class ServerWatches {
    private let eventLoop: any EventLoop
    private let shared: EndpointShared
    private let settings: ServerWatch.Settings
    private var watches: [ServerAddress: ServerWatch] = [:]
    private var lastTick: NIODeadline?

    init(eventLoop: any EventLoop, shared: EndpointShared, settings: ServerWatch.Settings) {
        self.eventLoop = eventLoop
        self.shared = shared
        self.settings = settings
    }

    /// Watches exactly `servers` from now on.
    func follow(_ servers: Set<ServerAddress>) {
        for (address, watch) in watches where !servers.contains(address) {
            watch.stop()
            watches[address] = nil
            shared.stopWatching(address)
        }
        for address in servers where watches[address] == nil {
            shared.startWatching(address)
            watches[address] = ServerWatch(address: address, eventLoop: eventLoop, shared: shared, settings: settings)
        }
    }

    func tick() {
        let now = NIODeadline.now()
        // A tick a heartbeat or more late: this endpoint was short of CPU, not the servers silent.
        if let lastTick, now - lastTick >= settings.heartbeat * 2 {
            shared.discount(.nanoseconds((now - lastTick - settings.heartbeat).nanoseconds))
        }
        lastTick = now
        for watch in watches.values { watch.tick(at: now) }
    }
}

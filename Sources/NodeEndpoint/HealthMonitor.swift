import RedisWire

/// Heartbeats every server of the cache, primaries and replicas: a `PING` every `heartbeat` on a
/// connection of its own per server, each server in its own loop so that one that stalls delays
/// no other's. What each heard is kept in `EndpointShared`, where the coordinator, peer
/// endpoints and maintctl's rollout (both asking `MAINTCTL.HEALTH`) read it: the endpoints are
/// the cache's one failure detector.
actor HealthMonitor {
    private let keeper: SlotMapKeeper
    private let shared: EndpointShared
    private let heartbeat: Duration
    private let timeout: Duration
    private let password: String?
    private var watched = Set<ServerAddress>()

    init(keeper: SlotMapKeeper, shared: EndpointShared, heartbeat: Duration, timeout: Duration, password: Secret?) {
        self.keeper = keeper
        self.shared = shared
        self.heartbeat = heartbeat
        self.timeout = timeout
        self.password = password?.text
    }

    /// Watches the servers of the current slot map until the task is cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                // Replicas too: maintctl declares a node down only when every server on it is silent.
                let servers = await keeper.map?.servers ?? []
                for server in servers where !watched.contains(server) {
                    watched.insert(server)
                    shared.startWatching(server)
                    group.addTask { await self.watch(server) }
                }
                try? await Task.sleep(for: heartbeat * 5)
            }
        }
    }

    /// Pings `server` for as long as the slot map names it.
    private func watch(_ server: ServerAddress) async {
        var connection: RedisConnection?
        while !Task.isCancelled, await keeper.map?.servers.contains(server) ?? false {
            shared.recordQuestion(to: server, at: .now)
            do {
                if connection == nil {
                    connection = try await RedisConnection.connect(host: server.host, port: server.port, timeout: .milliseconds(200), password: password)
                }
                _ = try await connection!.send(["PING"], timeout: timeout)
                shared.recordAnswer(from: server)
            } catch let error as RedisError where error.kind == .timeout {
                // Stalled, or slow: silent since the question went out.
                await connection?.close()
                connection = nil
            } catch {
                shared.recordUnreachable(server)
                await connection?.close()
                connection = nil
            }
            try? await Task.sleep(for: heartbeat)
        }
        await connection?.close()
        watched.remove(server)
        shared.stopWatching(server)
    }
}

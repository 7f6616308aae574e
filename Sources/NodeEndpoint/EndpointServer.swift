import Logging
import NIOCore
import NIOPosix
import RedisWire

/// The node endpoint: serves one cache to clients that need not speak Redis Cluster.
///
/// `run()` reads the cluster's slot map, then listens; it returns when its task is cancelled,
/// after closing the listening socket.
public struct EndpointServer: Sendable {
    let configuration: EndpointConfiguration
    let logger: Logger

    public init(configuration: EndpointConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until cancelled.
    /// - Parameter ready: Called with the bound address once clients can connect.
    /// - Throws: When the port cannot be bound or the control socket cannot be made.
    public func run(ready: @Sendable (ServerAddress) -> Void = { _ in }) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        do {
            try await serve(on: group, ready: ready)
            try await group.shutdownGracefully()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func serve(on group: MultiThreadedEventLoopGroup, ready: @Sendable (ServerAddress) -> Void) async throws {
        let (refreshRequests, requestRefresh) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let shared = EndpointShared(logger: logger, refreshRequests: requestRefresh)
        var workers: [NIOLoopBound<Worker>] = []
        for (index, loop) in group.makeIterator().enumerated() {
            let configuration = configuration
            workers.append(try await loop.submit {
                NIOLoopBound(Worker(index: index, eventLoop: loop, configuration: configuration, shared: shared), eventLoop: loop)
            }.get())
        }
        let keeper = SlotMapKeeper(configuration: configuration, workers: workers, shared: shared, logger: logger)
        let notices = NoticeBoard(workers: workers)
        let monitor = HealthMonitor(keeper: keeper, shared: shared, eventLoop: workers[0].eventLoop,
                                    settings: .init(heartbeat: TimeAmount(configuration.heartbeat),
                                                    timeout: TimeAmount(configuration.downAfter * 2),
                                                    handshake: configuration.handshake(resp3: false), tls: configuration.tls))
        let healer = SelfHealer(settings: .init(downAfter: configuration.downAfter, heartbeat: configuration.heartbeat,
                                                coordinates: configuration.coordinates, peers: configuration.peers),
                                keeper: keeper, shared: shared, password: configuration.password, tls: configuration.tls, logger: logger)
        try await keeper.refreshUntilRead()

        let byLoop = Dictionary(uniqueKeysWithValues: workers.map { (ObjectIdentifier($0.eventLoop), $0) })
        let configuration = configuration
        let listeners = Listeners { address in
            try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                // Shared for a moment when a leaving node's endpoint hands its address over: the
                // successor listens on it before the leaving one stops, so no client is refused.
                .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let worker = byLoop[ObjectIdentifier(channel.eventLoop)]!.value
                        let pipeline = channel.pipeline.syncOperations
                        if let tls = configuration.tls { try pipeline.addHandler(tls.serverHandler()) }
                        if let idle = configuration.idleTimeout {
                            try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                        }
                        try pipeline.addHandler(ClientSession(worker: worker))
                    }
                }
                .bind(host: address.host, port: address.port).get()
        }
        let (bound, listener) = try await listeners.open(configuration.listen)
        for address in configuration.adoptedAddresses {
            do { try await listeners.takeOver(address, logger: logger) } catch { logger.warning("cannot listen on \(address) too: \(error)") }
        }
        logger.info("serving on \(bound), \(configuration.threads) threads")
        ready(bound)

        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await _ in refreshRequests {
                        do { try await keeper.refresh() } catch { logger.warning("cannot read the slot map: \(error)") }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                tasks.addTask {
                    while true {
                        try await Task.sleep(for: .nanoseconds(configuration.refreshInterval.nanoseconds))
                        requestRefresh.yield()
                    }
                }
                tasks.addTask { await monitor.run() }
                tasks.addTask { await healer.run() }
                if let path = configuration.controlSocket {
                    tasks.addTask {
                        try await ControlChannel(path: path, listen: bound, keeper: keeper, notices: notices,
                                                 listeners: listeners, healer: healer, shared: shared, logger: logger).run(on: group)
                    }
                }
                tasks.addTask {
                    try await listener.closeFuture.get()
                    // Handed off (the node leaves): the clients connected are served until
                    // maintctl stops the endpoint.
                    while await listeners.handedOff { try await Task.sleep(for: .seconds(3600)) }
                }
                // The first to end (the listener closed, or a failure) ends them all.
                do {
                    try await tasks.next()
                } catch {
                    listener.close(promise: nil)
                    tasks.cancelAll()
                    throw error
                }
                listener.close(promise: nil)
                tasks.cancelAll()
            }
        } onCancel: {
            listener.close(promise: nil)
        }
        await listeners.closeAll()
    }
}

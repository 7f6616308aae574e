import NIOCore
import NIOPosix

/// One connection to a Redis server, with connect and reply time limits.
///
/// Commands may be sent concurrently; they are pipelined and answered in order. A command
/// that times out closes the connection, since its reply could still arrive and be
/// mistaken for the next one's.
public final class RedisConnection: Sendable {
    /// The loopback address, where the backends of this machine run their servers.
    public static let loopback = "127.0.0.1"

    /// The server's address.
    public let host: String
    /// The server's port.
    public let port: Int
    private let channel: any Channel

    private init(host: String, port: Int, channel: any Channel) {
        self.host = host
        self.port = port
        self.channel = channel
    }

    /// Connects to the server at `host:port` (127.0.0.1 unless told), over TLS when `tls` is
    /// given, and authenticates with `password` when one is given.
    /// - Throws: `RedisError` of kind `.connect` (refused, timed out, refused authentication)
    ///   naming the address, never the password.
    public static func connect(host: String = loopback, port: Int, timeout: Duration = .seconds(2),
                               password: String? = nil, tls: RedisTLS? = nil) async throws -> RedisConnection {
        let connection = try await open(host: host, port: port, timeout: timeout, tls: tls)
        guard let password else { return connection }
        do {
            try await connection.authenticate(password, timeout: timeout)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Sends `AUTH`; its failure says what the server answered, not what was sent.
    private func authenticate(_ password: String, timeout: Duration) async throws {
        let reply = try await send(["AUTH", password], timeout: timeout, describing: "AUTH")
        if case let .error(message) = reply {
            throw RedisError(.connect, "\(host):\(port) refused the password: \(message)")
        }
    }

    private static func open(host: String, port: Int, timeout: Duration, tls: RedisTLS?) async throws -> RedisConnection {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(max(1, timeout.wholeMilliseconds)))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.clientHandler(for: host)) }
                    try channel.pipeline.syncOperations.addHandler(RESPChannelHandler())
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            return RedisConnection(host: host, port: port, channel: channel)
        } catch {
            throw RedisError(.connect, "cannot connect to \(host):\(port): \(error)")
        }
    }

    /// Connects to the server listening on the unix socket at `path`.
    /// - Throws: `RedisError` of kind `.connect` naming the socket.
    public static func connect(unixSocket path: String, timeout: Duration = .seconds(2)) async throws -> RedisConnection {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(max(1, timeout.wholeMilliseconds)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RESPChannelHandler())
                }
            }
        do {
            let channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            return RedisConnection(host: path, port: 0, channel: channel)
        } catch {
            throw RedisError(.connect, "cannot connect to \(path): \(error)")
        }
    }

    /// Sends one command and returns the server's reply, `-ERR` replies included.
    /// - Parameters:
    ///   - arguments: The command and its arguments (`["CLUSTER", "NODES"]`).
    ///   - timeout: How long to wait for the reply.
    /// - Throws: `RedisError` when the connection fails or the reply does not come in time.
    public func send(_ arguments: [String], timeout: Duration = .seconds(5)) async throws -> RESPValue {
        try await send(arguments, timeout: timeout, describing: arguments.prefix(2).joined(separator: " "))
    }

    /// Sends `arguments`; a time-out names the command as `what`.
    private func send(_ arguments: [String], timeout: Duration, describing what: String) async throws -> RESPValue {
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        let channel = self.channel
        let address = "\(host):\(port)"
        let timer = channel.eventLoop.scheduleTask(in: .milliseconds(max(1, timeout.wholeMilliseconds))) {
            reply.fail(RedisError(.timeout, "\(address) did not answer \(what) within \(timeout)"))
            channel.close(promise: nil)
        }
        channel.writeAndFlush(RESPRequest(bytes: RESPParser.encode(arguments), reply: reply), promise: nil)
        defer { timer.cancel() }
        return try await reply.futureResult.get()
    }

    /// Sends a command and throws if the server answers with an error.
    /// - Throws: `RedisError` of kind `.server` with the server's message, or a connection error.
    @discardableResult
    public func command(_ arguments: String..., timeout: Duration = .seconds(5)) async throws -> RESPValue {
        let value = try await send(arguments, timeout: timeout)
        if case let .error(message) = value {
            throw RedisError(.server, "\(host):\(port) \(arguments.prefix(2).joined(separator: " ")): \(message)")
        }
        return value
    }

    /// Whether the connection is still open: neither side has closed it (as far as this side
    /// has read) and no time-out closed it.
    public var isOpen: Bool { channel.isActive }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}

extension Duration {
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

import RedisWire

/// Connections to the endpoints' control sockets, kept for the next word: a rollout tells every
/// endpoint of each hold, release, move and notice, and a connection per word cost a connect and
/// an accept on both sides each time (on SSH machines a new SSH channel: a round trip to the
/// machine). Each connection carries one word at a time, so a word that waits (a pause while a
/// promotion ends) holds up no other; one that failed, or that the endpoint closed, is dropped.
actor ControlConnections {
    private var idle: [String: [RedisConnection]] = [:]

    /// How many idle connections are kept to one socket.
    static let idleLimit = 4

    /// Sends `command` to the endpoint behind the unix socket at `socket` and returns its answer,
    /// an error reply included.
    /// - Throws: `RedisError` when it cannot connect (kind `.connect`) or no answer comes in time.
    func ask(_ command: [String], socket: String, timeout: Duration) async throws -> RESPValue {
        let connection = try await take(socket, connectTimeout: min(timeout, .milliseconds(500)))
        do {
            let answer = try await connection.send(command, timeout: timeout)
            if idle[socket, default: []].count < Self.idleLimit {
                idle[socket, default: []].append(connection)
            } else {
                await connection.close()
            }
            return answer
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Closes every idle connection.
    func closeAll() async {
        let connections = idle.values.flatMap { $0 }
        idle = [:]
        for connection in connections { await connection.close() }
    }

    /// An idle connection to `socket` that is still open, else a new one.
    private func take(_ socket: String, connectTimeout: Duration) async throws -> RedisConnection {
        while let connection = idle[socket]?.popLast() {
            if connection.isOpen { return connection }
            await connection.close()
        }
        return try await RedisConnection.connect(unixSocket: socket, timeout: connectTimeout)
    }
}

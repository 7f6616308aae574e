import RedisWire

/// Reads what the endpoints of a cache hear from its servers. Every endpoint heartbeats every
/// server of its cache and answers `MAINTCTL.HEALTH` with how long each has been silent; a
/// rollout's ``FailureDetector`` reads these reports instead of heartbeating the servers itself,
/// so that the cache has one failure detector whether a rollout runs or not.
actor EndpointHealthPoll {
    /// One endpoint's report: how long each server it watches has been silent, by server port.
    typealias Report = [Int: Duration]

    private let password: String?
    private let tls: RedisTLS?
    private var connections: [Int: RedisConnection] = [:]

    init(password: String?, tls: RedisTLS?) {
        self.password = password
        self.tls = tls
    }

    /// Asks the endpoints listening on `ports`, all at once, on a connection kept for each.
    /// - Returns: The report of each endpoint that answered within `timeout`, by endpoint port.
    func reports(from ports: Set<Int>, timeout: Duration) async -> [Int: Report] {
        for (port, connection) in connections where !ports.contains(port) {
            connections[port] = nil
            await connection.close()
        }
        let open = connections
        let (password, tls) = (password, tls)
        let answers = await withTaskGroup(of: (port: Int, connection: RedisConnection?, report: Report?).self) { group in
            for port in ports {
                group.addTask {
                    var connection = open[port]
                    do {
                        if connection == nil {
                            connection = try await RedisConnection.connect(port: port, timeout: timeout, password: password, tls: tls)
                        }
                        let reply = try await connection!.send(["MAINTCTL.HEALTH"], timeout: timeout)
                        return (port, connection, Self.report(of: reply))
                    } catch {
                        await connection?.close()
                        return (port, nil, nil)
                    }
                }
            }
            var answers: [(port: Int, connection: RedisConnection?, report: Report?)] = []
            for await answer in group { answers.append(answer) }
            return answers
        }
        var reports: [Int: Report] = [:]
        for answer in answers {
            connections[answer.port] = answer.connection
            reports[answer.port] = answer.report
        }
        return reports
    }

    func close() async {
        for connection in connections.values { await connection.close() }
        connections = [:]
    }

    /// The rows of a `MAINTCTL.HEALTH` reply, `[host:port, milliseconds]` each; nil when the
    /// reply is not such a list (an error, another program on the port).
    static func report(of reply: RESPValue) -> Report? {
        guard let rows = reply.elements else { return nil }
        var report: Report = [:]
        for row in rows {
            guard let pair = row.elements, pair.count == 2, let address = pair[0].string, let milliseconds = pair[1].integer,
                  let port = address.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
            report[port] = .milliseconds(milliseconds)
        }
        return report
    }
}

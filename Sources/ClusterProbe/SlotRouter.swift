import RedisWire

/// Sends commands to whichever server owns a slot, as a Redis Cluster client does: it keeps
/// a slot map from `CLUSTER SLOTS`, follows `MOVED` (and updates the map) and `ASK`
/// redirects, and reconnects when a connection breaks.
actor SlotRouter {
    private var owners: [Int: ServerAddress] = [:] // slot → server, filled range by range
    private var ranges: [(slots: ClosedRange<Int>, server: ServerAddress)] = []
    private var known: [ServerAddress]
    private var connections: [ServerAddress: RedisConnection] = [:]
    let timeout: Duration
    /// Redirects followed, by kind (`moved`, `ask`): a storm of them shows in the report.
    private(set) var redirects: [ProbeFailure.Kind: Int] = [:]

    /// The servers' password; nil when they require none.
    private let password: String?
    /// The servers' TLS; nil for plain TCP.
    private let tls: RedisTLS?

    init(seeds: [ServerAddress], timeout: Duration, password: String?, tls: RedisTLS?) {
        self.known = seeds
        self.timeout = timeout
        self.password = password
        self.tls = tls
    }

    /// Sends `arguments` for a key in `slot` and returns the final reply, after redirects.
    /// - Throws: `ProbeFailure` naming what went wrong, for the error tally.
    func send(_ arguments: [String], slot: Int) async throws(ProbeFailure) -> RESPValue {
        try await send(arguments, slot: slot, followedBy: nil).reply
    }

    /// Sends `arguments` for a key in `slot` and then, on the same connection to the server
    /// that answered, `followUp` (a `WAIT` that covers the write just made).
    /// - Returns: Both replies.
    func send(_ arguments: [String], slot: Int, followedBy followUp: [String]?) async throws(ProbeFailure)
        -> (reply: RESPValue, followUp: RESPValue?) {
        var server = self.server(for: slot)
        var asking = false
        for _ in 0..<5 {
            guard let target = server else {
                await refresh()
                throw ProbeFailure(.noRoute, "no server known for slot \(slot)")
            }
            let reply: RESPValue
            var confirmation: RESPValue?
            do {
                let connection = try await connection(target)
                if asking { _ = try await connection.send(["ASKING"], timeout: timeout) }
                reply = try await connection.send(arguments, timeout: timeout)
                if let followUp, !reply.isError { confirmation = try await connection.send(followUp, timeout: timeout) }
            } catch {
                await drop(target)
                await refresh()
                throw ProbeFailure(classify: error)
            }
            guard case let .error(message) = reply else { return (reply, confirmation) }
            let words = message.split(separator: " ")
            switch words.first {
            case "MOVED" where words.count == 3:
                let redirected = ServerAddress(words[2])
                if let redirected { owners[slot] = redirected }
                server = redirected
                asking = false
                redirects[.moved, default: 0] += 1
            case "ASK" where words.count == 3:
                server = ServerAddress(words[2])
                asking = true
                redirects[.ask, default: 0] += 1
            default:
                throw ProbeFailure(serverMessage: message)
            }
        }
        throw ProbeFailure(.redirectLoop, "too many redirects for slot \(slot)")
    }

    /// Re-reads the slot map from the first server that answers.
    func refresh() async {
        for server in known + ranges.map(\.server) {
            guard let connection = try? await connection(server),
                  let reply = try? await connection.send(["CLUSTER", "SLOTS"], timeout: timeout),
                  let entries = reply.elements else { continue }
            var fresh: [(slots: ClosedRange<Int>, server: ServerAddress)] = []
            for entry in entries {
                guard let fields = entry.elements, fields.count >= 3,
                      let first = fields[0].integer, let last = fields[1].integer, first <= last,
                      let owner = fields[2].elements, owner.count >= 2, let ownerPort = owner[1].integer else { continue }
                // A server that announces no address ("" or "?") is reached where it was asked.
                let host = owner[0].string.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 } ?? server.host
                fresh.append((Int(first)...Int(last), ServerAddress(host: host, port: Int(ownerPort))))
            }
            guard !fresh.isEmpty else { continue }
            ranges = fresh
            owners.removeAll()
            known = Array(Set(known + fresh.map(\.server)))
            return
        }
    }

    /// Every server learned so far (seeds, slot maps, redirects).
    var servers: [ServerAddress] { Array(Set(known + ranges.map(\.server) + owners.values)) }

    func closeAll() async {
        for connection in connections.values { await connection.close() }
        connections.removeAll()
    }

    private func server(for slot: Int) -> ServerAddress? {
        owners[slot] ?? ranges.first { $0.slots.contains(slot) }?.server
    }

    private func connection(_ server: ServerAddress) async throws -> RedisConnection {
        if let existing = connections[server] { return existing }
        let fresh = try await RedisConnection.connect(host: server.host, port: server.port, timeout: timeout, password: password, tls: tls)
        connections[server] = fresh
        return fresh
    }

    private func drop(_ server: ServerAddress) async {
        if let connection = connections.removeValue(forKey: server) { await connection.close() }
    }
}

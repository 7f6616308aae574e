import RedisWire

/// Reads the cache's slot map, command table and version from any of its servers.
public struct TopologyReader: Sendable {
    let password: Secret?
    let tls: RedisTLS?

    public init(password: Secret?, tls: RedisTLS? = nil) {
        self.password = password
        self.tls = tls
    }

    /// Reads from the first of `servers` that answers.
    /// - Throws: `RedisError` of the last server tried when none answers.
    public func read(from servers: [ServerAddress], withTable: Bool) async throws -> (map: SlotMap, table: CommandTable?, version: String?) {
        var lastError: any Error = RedisError(.connect, "no server to read the slot map from")
        var best: (map: SlotMap, table: CommandTable?, version: String?)?
        // A server that has not yet heard of every shard (a cluster still forming, a failover
        // still spreading) serves a partial map: ask the next until one covers every slot.
        for server in servers {
            do {
                let connection = try await RedisConnection.connect(host: server.host, port: server.port, timeout: .milliseconds(500),
                                                                     password: password?.text, tls: tls)
                let reading: (map: SlotMap, table: CommandTable?, version: String?)
                do {
                    reading = try await read(connection, withTable: withTable && best?.table == nil)
                    await connection.close()
                } catch {
                    await connection.close()
                    throw error
                }
                if best == nil || reading.map.servedSlots > best!.map.servedSlots {
                    best = (reading.map, reading.table ?? best?.table, reading.version ?? best?.version)
                }
                if best!.map.coversAllSlots { break }
            } catch {
                lastError = error
            }
        }
        guard let best else { throw lastError }
        return best
    }

    private func read(_ connection: RedisConnection, withTable: Bool) async throws -> (map: SlotMap, table: CommandTable?, version: String?) {
        let shards = try await connection.send(["CLUSTER", "SHARDS"], timeout: .seconds(1))
        let map: SlotMap
        if shards.isError {
            map = try await Self.map(fromSlots: connection.command("CLUSTER", "SLOTS", timeout: .seconds(1)))
        } else {
            map = Self.map(fromShards: shards)
        }
        guard withTable else { return (map, nil, nil) }
        let table = try await CommandTable(commandReply: connection.command("COMMAND", timeout: .seconds(5)))
        let info = try await connection.command("INFO", "server", timeout: .seconds(2)).string ?? ""
        let version = info.split(whereSeparator: \.isNewline)
            .first { $0.hasPrefix("redis_version:") }.map { String($0.dropFirst("redis_version:".count)) }
        return (map, table, version)
    }

    /// The map of a `CLUSTER SHARDS` reply (Redis 7).
    static func map(fromShards reply: RESPValue) -> SlotMap {
        var shards: [SlotMap.Shard] = []
        for entry in reply.elements ?? [] {
            let fields = Self.fields(entry)
            let bounds = (fields["slots"]?.elements ?? []).compactMap { $0.integer.map(Int.init) }
            var ranges: [ClosedRange<Int>] = []
            var index = 0
            while index + 1 < bounds.count {
                if bounds[index] <= bounds[index + 1] { ranges.append(bounds[index]...bounds[index + 1]) }
                index += 2
            }
            var primary: ServerAddress?
            var replicas: [ServerAddress] = []
            for node in fields["nodes"]?.elements ?? [] {
                let node = Self.fields(node)
                guard let port = node["port"]?.integer ?? node["tls-port"]?.integer else { continue }
                let endpoint = node["endpoint"]?.string
                let host = endpoint.flatMap { $0 == "?" || $0.isEmpty ? nil : $0 } ?? node["ip"]?.string ?? RedisConnection.loopback
                let address = ServerAddress(host: host, port: Int(port))
                if node["role"]?.string == "master" {
                    // A failed primary stays listed until a replica replaces it; prefer one that is online.
                    if primary == nil || node["health"]?.string == "online" { primary = address }
                } else {
                    replicas.append(address)
                }
            }
            if let primary, !ranges.isEmpty { shards.append(SlotMap.Shard(primary: primary, replicas: replicas, slots: ranges)) }
        }
        return SlotMap(shards: shards)
    }

    /// The map of a `CLUSTER SLOTS` reply (servers before Redis 7).
    static func map(fromSlots reply: RESPValue) -> SlotMap {
        var byPrimary: [ServerAddress: SlotMap.Shard] = [:]
        for entry in reply.elements ?? [] {
            guard let fields = entry.elements, fields.count >= 3, let start = fields[0].integer, let end = fields[1].integer,
                  let node = fields[2].elements, node.count >= 2, let host = node[0].string, let port = node[1].integer else { continue }
            let primary = ServerAddress(host: host.isEmpty ? RedisConnection.loopback : host, port: Int(port))
            let replicas = fields.dropFirst(3).compactMap { replica -> ServerAddress? in
                guard let node = replica.elements, node.count >= 2, let host = node[0].string, let port = node[1].integer else { return nil }
                return ServerAddress(host: host, port: Int(port))
            }
            byPrimary[primary, default: SlotMap.Shard(primary: primary, replicas: replicas, slots: [])].slots.append(Int(start)...Int(end))
        }
        return SlotMap(shards: Array(byPrimary.values))
    }

    /// A RESP2 map (a flat list of names and values) as a dictionary.
    private static func fields(_ value: RESPValue) -> [String: RESPValue] {
        var fields: [String: RESPValue] = [:]
        let items = value.elements ?? []
        var index = 0
        while index + 1 < items.count {
            if let name = items[index].string { fields[name] = items[index + 1] }
            index += 2
        }
        return fields
    }
}

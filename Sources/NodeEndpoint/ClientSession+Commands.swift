import NIOCore

extension ClientSession {
    /// The commands the endpoint answers itself, or keeps for the client (transactions, subscriptions).
    func answer(_ request: ClientRequest, name: CommandName) {
        let count = request.arguments.count
        switch name {
        case "PING":
            guard count <= 2 else { return reply(arity(name)) }
            if isSubscribed, !resp3 { return sendToStream(request) }
            reply(count == 2 ? LocalReply.bulk(request.arguments[1].readableBytesView, allocator: allocator) : LocalReply.simple("PONG", allocator: allocator))
        case "ECHO":
            guard count == 2 else { return reply(arity(name)) }
            reply(LocalReply.bulk(request.arguments[1].readableBytesView, allocator: allocator))
        case "HELLO": hello(request)
        case "AUTH": auth(request)
        case "SELECT":
            guard count == 2 else { return reply(arity(name)) }
            guard let database = request.integer(1) else { return reply(error("ERR value is not an integer or out of range")) }
            reply(database == 0 ? LocalReply.simple("OK", allocator: allocator) : error("ERR SELECT is not allowed in cluster mode"))
        case "READONLY", "READWRITE":
            // The endpoint reads from primaries either way.
            reply(LocalReply.simple("OK", allocator: allocator))
        case "CLIENT": client(request)
        case "INFO": info(request)
        case "QUIT":
            reply(LocalReply.simple("OK", allocator: allocator))
            closeAfterReplies()
        case "RESET": reset()
        case "MULTI": multi(request)
        case "EXEC": exec(request)
        case "DISCARD": discard(request)
        case "WATCH": watch(request)
        case "UNWATCH": unwatch(request)
        case "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE":
            subscribe(request, name: name)
        case "MAINTCTL.HEALTH":
            // Peer endpoints ask it to confirm a failure, maintctl's detector to find one: how
            // long each server has not answered.
            worker.shared.update(id) { $0.isObserver = true }
            let silences = worker.shared.silences
            var health = LocalReply(allocator: allocator, resp3: resp3, capacity: 32 * silences.count + 8)
            health.arrayHeader(silences.count)
            for (server, silence) in silences {
                health.arrayHeader(2)
                health.bulk(server.description)
                health.integer(Int(silence.components.seconds * 1000 + silence.components.attoseconds / 1_000_000_000_000_000))
            }
            reply(health.buffer)
        case "MAINTCTL.RELOAD":
            // A peer endpoint failed a primary over: read the slot map now.
            worker.topologyMayHaveChanged()
            reply(LocalReply.simple("OK", allocator: allocator))
        case "SCAN": scan(request)
        case "RANDOMKEY":
            guard count == 1 else { return reply(arity(name)) }
            randomKey(request)
        default:
            reply(error(CommandRoute.unknownCommand(request)))
        }
    }

    func arity(_ name: CommandName) -> ByteBuffer {
        error("ERR wrong number of arguments for '\(name.lowercased)' command")
    }

    func arity(_ name: String) -> ByteBuffer {
        error("ERR wrong number of arguments for '\(name)' command")
    }

    // MARK: HELLO, AUTH, RESET

    private func hello(_ request: ClientRequest) {
        var version = resp3 ? 3 : 2
        var index = 1
        if request.arguments.count > 1 {
            guard let asked = request.integer(1), asked >= 0, asked <= Int(Int32.max) else {
                return reply(error("ERR Protocol version is not an integer or out of range"))
            }
            guard asked == 2 || asked == 3 else { return reply(error("NOPROTO unsupported protocol version")) }
            version = asked
            index = 2
        }
        var credentials: (user: ByteBuffer, password: ByteBuffer)?
        var newName: String?
        while index < request.arguments.count {
            let option = request.text(index)!.uppercased()
            if option == "AUTH", index + 2 < request.arguments.count {
                credentials = (request.arguments[index + 1], request.arguments[index + 2])
                index += 3
            } else if option == "SETNAME", index + 1 < request.arguments.count {
                newName = request.text(index + 1)
                index += 2
            } else {
                return reply(error("ERR Syntax error in HELLO option '\(request.text(index)!)'"))
            }
        }
        if let credentials {
            guard check(user: credentials.user, password: credentials.password) else {
                return reply(error("WRONGPASS invalid username-password pair or user is disabled."))
            }
            authenticated = true
        }
        guard authenticated else {
            return reply(error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"))
        }
        if let newName {
            guard Self.isValidName(newName) else { return reply(error("ERR Client names cannot contain spaces, newlines or special characters.")) }
            name = newName
        }
        resp3 = version == 3
        if !resp3 { stopNotices() }
        let id = id
        let name = name
        worker.shared.update(id) {
            $0.resp = version
            $0.name = name
        }
        var hello = LocalReply(allocator: allocator, resp3: resp3, capacity: 160)
        hello.mapHeader(7)
        hello.bulk("server"); hello.bulk("redis")
        hello.bulk("version"); hello.bulk(worker.serverVersion)
        hello.bulk("proto"); hello.integer(version)
        hello.bulk("id"); hello.integer(id)
        hello.bulk("mode"); hello.bulk("standalone")
        hello.bulk("role"); hello.bulk("master")
        hello.bulk("modules"); hello.arrayHeader(0)
        reply(hello.buffer)
    }

    private func auth(_ request: ClientRequest) {
        let count = request.arguments.count
        guard count == 2 || count == 3 else { return reply(error("ERR syntax error")) }
        if worker.configuration.password == nil, count == 2 {
            return reply(error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"))
        }
        let user = count == 3 ? request.arguments[1] : allocator.buffer(string: "default")
        guard check(user: user, password: request.arguments[count - 1]) else {
            return reply(error("WRONGPASS invalid username-password pair or user is disabled."))
        }
        authenticated = true
        reply(LocalReply.simple("OK", allocator: allocator))
    }

    /// Whether `user` and `password` are the cache's: the default user, with the cache's password
    /// (any password when the cache has none, as Redis' `nopass` user).
    private func check(user: ByteBuffer, password: ByteBuffer) -> Bool {
        guard String(buffer: user) == "default" else { return false }
        return worker.configuration.password?.matches(password) ?? true
    }

    private func reset() {
        endTransaction(closingPinned: true)
        for upstream in [globalStream].compactMap({ $0 }) + shardStreams.values { upstream.close() }
        globalStream = nil
        shardStreams = [:]
        resp3 = false
        stopNotices()
        name = ""
        authenticated = worker.configuration.password == nil
        let id = id
        worker.shared.update(id) {
            $0.resp = 2
            $0.name = ""
        }
        reply(LocalReply.simple("RESET", allocator: allocator))
    }

    // MARK: CLIENT

    private func client(_ request: ClientRequest) {
        guard request.arguments.count >= 2, let subcommand = request.text(1)?.uppercased() else { return reply(arity("client")) }
        let id = id
        switch subcommand {
        case "SETNAME":
            guard request.arguments.count == 3, let newName = request.text(2) else { return reply(arity("client|setname")) }
            guard Self.isValidName(newName) else { return reply(error("ERR Client names cannot contain spaces, newlines or special characters.")) }
            name = newName
            worker.shared.update(id) { $0.name = newName }
            reply(LocalReply.simple("OK", allocator: allocator))
        case "GETNAME":
            reply(name.isEmpty ? LocalReply.null(resp3: resp3, allocator: allocator) : LocalReply.bulk(name.utf8, allocator: allocator))
        case "ID":
            reply(LocalReply.integer(id, allocator: allocator))
        case "SETINFO":
            guard request.arguments.count == 4, let attribute = request.text(2)?.uppercased(), let value = request.text(3) else {
                return reply(arity("client|setinfo"))
            }
            guard value.allSatisfy({ $0 != " " && !$0.isNewline }) else {
                return reply(error("ERR \(attribute.lowercased()) cannot contain spaces, newlines or special characters."))
            }
            switch attribute {
            case "LIB-NAME": worker.shared.update(id) { $0.libraryName = value }
            case "LIB-VER": worker.shared.update(id) { $0.libraryVersion = value }
            default: return reply(error("ERR Unrecognized option '\(request.text(2)!)'"))
            }
            reply(LocalReply.simple("OK", allocator: allocator))
        case "INFO":
            let line = worker.shared.clientRecords.first { $0.id == id }.map(describe) ?? ""
            var info = LocalReply(allocator: allocator, resp3: resp3)
            info.verbatim(line)
            reply(info.buffer)
        case "MAINT_NOTIFICATIONS":
            maintenanceNotifications(request)
        case "LIST":
            var list = LocalReply(allocator: allocator, resp3: resp3)
            list.verbatim(worker.shared.clientRecords.map(describe).joined())
            reply(list.buffer)
        default:
            reply(error("ERR 'CLIENT \(request.text(1)!)' is not supported by the node endpoint"))
        }
    }

    /// `CLIENT MAINT_NOTIFICATIONS ON [moving-endpoint-type TYPE]` or `OFF`: RESP3 only, as
    /// the managed services answer.
    private func maintenanceNotifications(_ request: ClientRequest) {
        let words = (2..<request.arguments.count).map { request.text($0) ?? "" }
        switch words.first?.uppercased() {
        case "OFF" where words.count == 1:
            stopNotices()
            reply(LocalReply.simple("OK", allocator: allocator))
        case "ON" where words.count == 1 || (words.count == 3 && words[1].lowercased() == "moving-endpoint-type"):
            guard resp3 else {
                return reply(error("ERR CLIENT MAINT_NOTIFICATIONS ON needs RESP3 (HELLO 3): notifications are push messages"))
            }
            let type = words.count == 3 ? MovingEndpointType(rawValue: words[2].lowercased()) : .internalIP
            guard let type else {
                return reply(error("ERR unknown moving-endpoint-type '\(words[2])'; one of internal-ip, internal-fqdn, external-ip, external-fqdn, none"))
            }
            reply(LocalReply.simple("OK", allocator: allocator))
            let subscribed = noticeEndpointType != nil
            noticeEndpointType = type
            if !subscribed { worker.subscribeToNotices(self) }
        default:
            reply(error("ERR syntax error: CLIENT MAINT_NOTIFICATIONS ON [moving-endpoint-type TYPE] | OFF"))
        }
    }

    private func stopNotices() {
        guard noticeEndpointType != nil else { return }
        noticeEndpointType = nil
        worker.unsubscribeFromNotices(self)
    }

    /// A client as `CLIENT LIST` shows it: `key=value` fields and a newline.
    private func describe(_ record: EndpointShared.ClientRecord) -> String {
        let age = (ContinuousClock.now - record.connectedAt).components.seconds
        return "id=\(record.id) addr=\(record.address) laddr=\(record.localAddress) fd=-1 name=\(record.name) age=\(age) idle=0 flags=N db=0 "
            + "sub=0 psub=0 ssub=0 multi=-1 cmd=NULL user=default redir=-1 resp=\(record.resp) lib-name=\(record.libraryName) lib-ver=\(record.libraryVersion)\n"
    }

    static func isValidName(_ name: String) -> Bool {
        name.utf8.allSatisfy { $0 > 32 && $0 < 127 }
    }

    // MARK: INFO

    /// The endpoint's own sections, and a keyspace summed over every shard.
    private func info(_ request: ClientRequest) {
        let asked = Set(request.arguments.dropFirst().map { String(buffer: $0).lowercased() })
        let everything = asked.isEmpty || !asked.isDisjoint(with: ["all", "default", "everything"])
        let wants: (String) -> Bool = { everything || asked.contains($0) }
        let shared = worker.shared
        let counters = shared.counterValues
        let map = worker.map
        var text = ""
        if wants("server") {
            text += "# Server\r\nredis_version:\(worker.serverVersion)\r\nmaintctl_endpoint_version:\(EndpointVersion.current)\r\n"
                + "redis_mode:standalone\r\nprocess_id:\(EndpointVersion.processID)\r\ntcp_port:\(worker.configuration.listen.port)\r\n"
                + "uptime_in_seconds:\((ContinuousClock.now - shared.startedAt).components.seconds)\r\nio_threads_active:\(worker.configuration.threads)\r\n\r\n"
        }
        if wants("clients") {
            text += "# Clients\r\nconnected_clients:\(shared.clientCount)\r\nmaxclients:\(worker.configuration.maxClients)\r\n\r\n"
        }
        if wants("stats") {
            text += "# Stats\r\ntotal_connections_received:\(counters.connectionsReceived)\r\nrejected_connections:\(counters.rejectedConnections)\r\n\r\n"
        }
        if wants("cluster") {
            text += "# Cluster\r\ncluster_enabled:0\r\n\r\n"
        }
        if wants("endpoint") {
            text += "# Endpoint\r\nshards:\(map?.shards.count ?? 0)\r\nslots_covered:\(map?.coversAllSlots == true ? 1 : 0)\r\n"
                + "slot_map_reads:\(counters.slotMapReads)\r\nprimaries:\(map?.shards.map(\.primary.description).joined(separator: ",") ?? "")\r\n\r\n"
        }
        let resp3 = resp3
        let allocator = allocator
        let finish: (String) -> ByteBuffer = { text in
            var info = LocalReply(allocator: allocator, resp3: resp3, capacity: text.utf8.count + 16)
            info.verbatim(text)
            return info.buffer
        }
        guard wants("keyspace"), worker.shardCount > 0 else { return reply(finish(text)) }
        let keyspace = ClientRequest(arguments: [allocator.buffer(string: "INFO"), allocator.buffer(string: "keyspace")], allocator: allocator)
        sendToEveryShard(keyspace.raw, merge: .custom { frames in
            var keys = 0
            var expires = 0
            for frame in frames {
                let body = String(buffer: frame)
                for line in body.split(whereSeparator: \.isNewline) where line.hasPrefix("db0:") {
                    for field in line.dropFirst(4).split(separator: ",") {
                        let pair = field.split(separator: "=")
                        guard pair.count == 2, let value = Int(pair[1]) else { continue }
                        if pair[0] == "keys" { keys += value }
                        if pair[0] == "expires" { expires += value }
                    }
                }
            }
            let keyspace = keys > 0 ? "db0:keys=\(keys),expires=\(expires),avg_ttl=0\r\n" : ""
            return finish(text + "# Keyspace\r\n" + keyspace)
        })
    }
}

import NIOCore

extension ClientSession {
    /// Commands a RESP2 client may send while it is subscribed.
    static let subscribedCommands: Set<CommandName> = [
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "PING", "QUIT", "RESET",
    ]

    /// Commands a client that has not authenticated may send.
    static let unauthenticatedCommands: Set<CommandName> = ["AUTH", "HELLO", "QUIT", "RESET"]

    /// The most blocking commands one client may have waiting, each on a connection of its own.
    static let blockingLimit = 16

    /// Commands a transaction does not queue.
    static let transactionControl: Set<CommandName> = ["EXEC", "DISCARD", "MULTI", "QUIT", "RESET"]

    /// Answers `request` or sends it on its way.
    func dispatch(_ request: ClientRequest) {
        let name = request.name
        if !authenticated, !Self.unauthenticatedCommands.contains(name) {
            return reply(error("NOAUTH Authentication required."))
        }
        if transaction.isOpen, !Self.transactionControl.contains(name) {
            return queueInTransaction(request, name: name)
        }
        if isSubscribed, !resp3, !Self.subscribedCommands.contains(name) {
            return reply(error("ERR Can't execute '\(name.lowercased)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"))
        }
        guard let table = worker.table, worker.map != nil else {
            if CommandRoute.sessionCommands.contains(name) { return answer(request, name: name) }
            return reply(error("CLUSTERDOWN the endpoint has not read the cluster's slot map yet"))
        }
        switch CommandRoute.of(request, name: name, table: table) {
        case .session: answer(request, name: name)
        case let .slot(slot): forward(request, toSlot: slot)
        case .anyShard: forwardToAnyShard(request)
        case let .blocking(slot): forwardBlocking(request, slot: slot)
        case let .split(command): split(request, command)
        case let .everyShard(merge): sendToEveryShard(request.raw, merge: .shards(merge))
        case .wait: waitForReplicas(request)
        case let .refused(message): reply(error(message))
        }
    }

    func forward(_ request: ClientRequest, toSlot slot: Int) {
        guard let upstream = worker.upstream(forSlot: slot, resp3: resp3) else {
            worker.topologyMayHaveChanged()
            return reply(error("CLUSTERDOWN Hash slot not served"))
        }
        upstream.send(request.raw, PendingReply(.client(self, sequence: reserve()), request: request.raw, redirects: .follow))
    }

    func forwardToAnyShard(_ request: ClientRequest) {
        guard let shard = worker.anyShard(), let upstream = worker.upstream(forShard: shard, resp3: resp3) else {
            return reply(error("CLUSTERDOWN the endpoint knows no shard"))
        }
        upstream.send(request.raw, PendingReply(.client(self, sequence: reserve())))
    }

    /// A command the server may hold back goes on a connection of its own, so that it holds
    /// back no other client's commands.
    func forwardBlocking(_ request: ClientRequest, slot: Int?) {
        let address = slot.flatMap(worker.address(ofSlot:)) ?? worker.anyShard().flatMap { worker.map?.shards[$0].primary }
        guard let address else { return reply(error("CLUSTERDOWN Hash slot not served")) }
        blockingConnections.removeAll { $0.owner !== self }
        guard blockingConnections.count < Self.blockingLimit else {
            return reply(error("ERR this client has \(Self.blockingLimit) blocking commands waiting already; the node endpoint takes no more"))
        }
        let upstream = worker.dedicated(to: address, resp3: resp3, for: self)
        upstream.releaseWhenIdle = true
        blockingConnections.append(upstream)
        upstream.send(request.raw, PendingReply(.client(self, sequence: reserve())))
    }

    /// A multi-key command whose keys span slots: one command per slot, in parallel.
    func split(_ request: ClientRequest, _ command: SplitCommand) {
        guard command.isWellFormed(request) else { return forwardToAnyShard(request) }
        let parts = command.parts(of: request, allocator: allocator)
        if parts.count == 1 { return forward(request, toSlot: parts[0].slot) }
        let keys = (request.arguments.count - 1) / command.stride
        let gather = Gather(merge: .split(command, positions: parts.map(\.positions), keys: keys),
                            parts: parts.count, session: self, sequence: reserve())
        for (index, part) in parts.enumerated() {
            guard let upstream = worker.upstream(forSlot: part.slot, resp3: resp3) else {
                gather.complete(index, with: error("CLUSTERDOWN Hash slot not served"))
                continue
            }
            upstream.send(part.request.raw, PendingReply(.part(gather, index: index), request: part.request.raw, redirects: .follow))
        }
    }

    /// Sends `request` to every shard's primary; the merged replies answer the client.
    func sendToEveryShard(_ request: ByteBuffer, merge: Gather.Merge) {
        let shards = worker.shardCount
        guard shards > 0 else { return reply(error("CLUSTERDOWN the endpoint knows no shard")) }
        let gather = Gather(merge: merge, parts: shards, session: self, sequence: reserve())
        for shard in 0..<shards {
            worker.upstream(forShard: shard, resp3: resp3)!.send(request, PendingReply(.part(gather, index: shard)))
        }
    }

    // MARK: SCAN and RANDOMKEY over every shard

    /// `SCAN cursor …`: the endpoint's cursor is the server's cursor times 1024 plus the shard's index.
    func scan(_ request: ClientRequest) {
        guard request.arguments.count >= 2 else { return reply(error("ERR wrong number of arguments for 'scan' command")) }
        guard let cursor = request.text(1).flatMap({ UInt64($0) }) else { return reply(error("ERR invalid cursor")) }
        let shard = Int(cursor & 1023)
        guard shard < worker.shardCount, let upstream = worker.upstream(forShard: shard, resp3: resp3) else {
            var done = LocalReply(allocator: allocator, resp3: resp3)
            done.arrayHeader(2)
            done.bulk("0")
            done.arrayHeader(0)
            return reply(done.buffer)
        }
        var arguments = Array(request.arguments)
        arguments[1] = allocator.buffer(string: String(cursor >> 10))
        let page = ClientRequest(arguments: arguments, allocator: allocator)
        upstream.send(page.raw, PendingReply(.scan(self, sequence: reserve(), shard: shard)))
    }

    /// A shard's page of `SCAN`: its cursor becomes the endpoint's, moving on to the next shard at its end.
    func scanned(_ frame: ByteBuffer, sequence: Int, shard: Int) {
        guard let elements = ReplyFrameScanner.elements(of: frame), elements.count == 2,
              let serverCursor = ReplyFrameScanner.bulkText(of: elements[0]).flatMap({ UInt64($0) }) else {
            return complete(sequence, with: frame)
        }
        let next: UInt64
        if serverCursor == 0 {
            next = shard + 1 < worker.shardCount ? UInt64(shard + 1) : 0
        } else if serverCursor < (1 << 53) {
            next = serverCursor << 10 | UInt64(shard)
        } else {
            return complete(sequence, with: error("ERR the shard's SCAN cursor is too large for the endpoint's cursor"))
        }
        var page = LocalReply(allocator: allocator, resp3: resp3, capacity: frame.readableBytes + 24)
        page.arrayHeader(2)
        page.bulk(String(next))
        page.append(elements[1])
        complete(sequence, with: page.buffer)
    }

    func randomKey(_ request: ClientRequest) {
        guard worker.shardCount > 0 else { return reply(error("CLUSTERDOWN the endpoint knows no shard")) }
        let shard = Int.random(in: 0..<worker.shardCount)
        worker.upstream(forShard: shard, resp3: resp3)!.send(request.raw, PendingReply(.randomKey(self, sequence: reserve(), shard: shard, tried: 1)))
    }

    /// A shard's `RANDOMKEY`: an empty shard passes the question to the next one.
    func randomKey(_ frame: ByteBuffer, sequence: Int, shard: Int, tried: Int) {
        let empty = frame.readableBytesView.starts(with: "$-1".utf8) || frame.readableBytesView.first == UInt8(ascii: "_")
        guard empty, tried < worker.shardCount else { return complete(sequence, with: frame) }
        let next = (shard + 1) % worker.shardCount
        let request = ClientRequest(arguments: [allocator.buffer(string: "RANDOMKEY")], allocator: allocator)
        worker.upstream(forShard: next, resp3: resp3)!.send(request.raw, PendingReply(.randomKey(self, sequence: sequence, shard: next, tried: tried + 1)))
    }
}

extension ReplyFrameScanner {
    /// The text of a bulk (or simple) string reply.
    static func bulkText(of frame: ByteBuffer) -> String? {
        var reader = frame
        switch reader.readInteger(as: UInt8.self) {
        case UInt8(ascii: "$"):
            guard let length = reader.readableBytesView.firstIndex(of: 13).flatMap({ reader.getString(at: reader.readerIndex, length: $0 - reader.readerIndex) }).flatMap({ Int($0) }),
                  length >= 0 else { return nil }
            let start = frame.readableBytes - length - 2
            return frame.getString(at: frame.readerIndex + start, length: length)
        case UInt8(ascii: "+"):
            return frame.getString(at: frame.readerIndex + 1, length: frame.readableBytes - 3)
        default:
            return nil
        }
    }
}

import NIOCore
import RedisWire

/// `WAIT numreplicas timeout` through the endpoint.
///
/// A server answers `WAIT` for the writes of the connection it arrives on, but a client's
/// writes share the endpoint's connections with other clients'. So once every earlier command
/// of the client has its reply (its writes are in the servers' replication streams), the
/// endpoint marks each shard the client sent commands to: on a connection of its own, a write
/// nobody can see (`MULTI`, `SET` and `DEL` of one key of the endpoint's, `EXEC`) whose
/// replication offset is past the client's writes, then `WAIT` there. The client gets the
/// fewest replicas any of those shards counted, as a Redis Cluster client that waited on each
/// shard would conclude. A client that sent nothing waits on one shard without a mark, as a
/// new connection to a server would.
extension ClientSession {
    /// The key the endpoint writes and deletes at once to mark a shard's replication offset; its
    /// hash tag puts it in a slot of the shard.
    static let waitMarkPrefix = "__maintctl:wait:"

    func waitForReplicas(_ request: ClientRequest) {
        guard !hasRepliesAwaited else { return dispatchAfterEarlierReplies(request) }
        guard let map = worker.map, !map.shards.isEmpty else { return reply(error("CLUSTERDOWN the endpoint knows no shard")) }
        blockingConnections.removeAll { $0.owner !== self }
        guard blockingConnections.count < Self.blockingLimit else {
            return reply(error("ERR this client has \(Self.blockingLimit) blocking commands waiting already; the node endpoint takes no more"))
        }
        let shards = shardsWrittenTo(in: map)
        guard !shards.isEmpty else {
            let gather = Gather(merge: .shards(.first), parts: 1, session: self, sequence: reserve())
            return send([request.raw], to: map.shards[worker.anyShard() ?? 0].primary, replyTo: gather, index: 0)
        }
        let gather = Gather(merge: .custom(Self.fewestReplicas), parts: 2 * shards.count, session: self, sequence: reserve())
        for (number, shard) in shards.enumerated() {
            guard let key = worker.waitMarkKey(forShard: shard) else {
                gather.complete(2 * number, with: error("ERR the endpoint found no key of its own in shard \(map.shards[shard].primary)'s slots"))
                gather.complete(2 * number + 1, with: error("ERR WAIT not sent"))
                continue
            }
            let mark = [Self.command(["MULTI"]), Self.command(["SET", key, ""]), Self.command(["DEL", key]), Self.command(["EXEC"]), request.raw]
            send(mark, to: map.shards[shard].primary, replyTo: gather, index: 2 * number)
        }
    }

    /// The shards (indices in `map`) whose primaries this client's commands went to; every
    /// shard when one of those servers is no primary now (its shard failed over since).
    private func shardsWrittenTo(in map: SlotMap) -> [Int] {
        let primaries = Dictionary(map.shards.enumerated().map { ($1.primary, $0) }, uniquingKeysWith: { first, _ in first })
        var shards = Set<Int>()
        for address in sentTo {
            guard let shard = primaries[address] else { return Array(map.shards.indices) }
            shards.insert(shard)
        }
        return shards.sorted()
    }

    /// Sends `commands` on a connection of this client's own to `address`. The replies of the
    /// last two (`EXEC` and `WAIT`, or `WAIT` alone) go to parts `index…` of `gather`.
    private func send(_ commands: [ByteBuffer], to address: ServerAddress, replyTo gather: Gather, index: Int) {
        let upstream = worker.dedicated(to: address, resp3: false, for: self)
        upstream.releaseWhenIdle = true
        blockingConnections.append(upstream)
        let answered = min(commands.count, 2)
        for (number, command) in commands.enumerated() {
            let part = number - (commands.count - answered)
            upstream.send(command, PendingReply(part >= 0 ? .part(gather, index: index + part) : .discard))
        }
    }

    /// The reply to `WAIT` from the replies of each shard's `EXEC` and `WAIT`: the fewest
    /// replicas, or why a shard could not be marked.
    private static func fewestReplicas(_ frames: [ByteBuffer]) -> ByteBuffer {
        let allocator = ByteBufferAllocator()
        var fewest = Int.max
        for pair in stride(from: 0, to: frames.count, by: 2) {
            guard let results = ReplyFrameScanner.elements(of: frames[pair]), results.count == 2,
                  !results.contains(where: ReplyFrameScanner.isError) else {
                return LocalReply.error("ERR the endpoint could not mark a shard's replication offset for WAIT", allocator: allocator)
            }
            guard let replicas = ReplyFrameScanner.integer(of: frames[pair + 1]) else { return frames[pair + 1] }
            fewest = min(fewest, replicas)
        }
        return LocalReply.integer(fewest, allocator: allocator)
    }

    private static func command(_ words: [String]) -> ByteBuffer {
        let allocator = ByteBufferAllocator()
        var buffer = allocator.buffer(capacity: 64)
        buffer.writeMultibulk(words.map { allocator.buffer(string: $0) })
        return buffer
    }
}

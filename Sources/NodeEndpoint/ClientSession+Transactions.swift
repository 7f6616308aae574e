import NIOCore
import RedisWire

/// A client's `WATCH` and `MULTI`: pinned to one connection to the shard of the first key, as
/// a Redis Cluster client must pin them to one node.
struct TransactionState {
    /// `MULTI` was sent and neither `EXEC` nor `DISCARD` yet.
    var isOpen = false
    /// The connection the transaction runs on, once a key chose its shard.
    var pinned: Upstream?
    /// Commands (`MULTI` first) that came before any key chose the shard, with their replies' places.
    var backlog: [(request: ClientRequest, sequence: Int)] = []
    /// A command was refused inside the transaction: `EXEC` fails, as Redis fails it.
    var aborted = false
    /// The pinned connection broke: its `MULTI` or `WATCH` is gone with it.
    var lost = false
}

extension ClientSession {
    func multi(_ request: ClientRequest) {
        guard !transaction.isOpen else { return reply(error("ERR MULTI calls can not be nested")) }
        transaction.isOpen = true
        sendInTransaction(request)
    }

    /// A command between `MULTI` and `EXEC`: to the pinned server, which queues it. Commands
    /// that act on the client's connection or on every shard are refused there: run on the
    /// pinned server, they would change a connection other clients use next, or answer for one
    /// shard.
    func queueInTransaction(_ request: ClientRequest, name: CommandName) {
        guard let table = worker.table else { return reply(error("CLUSTERDOWN the endpoint has not read the cluster's slot map yet")) }
        guard !transaction.lost else {
            transaction.aborted = true
            return reply(error("ERR the transaction's connection to its shard was lost; EXEC will discard it"))
        }
        var slot: Int?
        switch CommandRoute.of(request, name: name, table: table) {
        case let .refused(message):
            transaction.aborted = true
            return reply(error(message))
        case .session where !Self.queuedAsTheServerQueues.contains(name), .everyShard:
            transaction.aborted = true
            return reply(error("ERR '\(name)' is not supported inside a transaction by the node endpoint"))
        case let .slot(keySlot), let .blocking(keySlot?):
            slot = keySlot
        case .split:
            slot = request.arguments.count > 1 ? CommandRoute.slot(of: request.arguments[1]) : nil
        case .session where name == "WATCH" && request.arguments.count > 1:
            slot = CommandRoute.slot(of: request.arguments[1])
        default:
            slot = nil
        }
        if transaction.pinned == nil, let slot {
            guard let address = worker.address(ofSlot: slot) else {
                transaction.aborted = true
                return reply(error("CLUSTERDOWN Hash slot not served"))
            }
            pin(to: address)
        }
        sendInTransaction(request)
    }

    func exec(_ request: ClientRequest) {
        guard transaction.isOpen else { return reply(error("ERR EXEC without MULTI")) }
        if transaction.aborted || transaction.lost {
            answerBacklog()
            transaction.pinned?.send(Self.discardCommand, PendingReply(.discard))
            reply(error("EXECABORT Transaction discarded because of previous errors."))
            return endTransaction(closingPinned: false)
        }
        if transaction.pinned == nil {
            guard let shard = worker.anyShard(), let primary = worker.map?.shards[shard].primary else {
                answerBacklog()
                reply(error("CLUSTERDOWN the endpoint knows no shard"))
                return endTransaction(closingPinned: false)
            }
            pin(to: primary)
        }
        sendInTransaction(request)
        endTransaction(closingPinned: false)
    }

    func discard(_ request: ClientRequest) {
        guard transaction.isOpen else { return reply(error("ERR DISCARD without MULTI")) }
        if transaction.pinned != nil {
            sendInTransaction(request)
        } else {
            answerBacklog()
            reply(LocalReply.simple("OK", allocator: allocator))
        }
        endTransaction(closingPinned: false)
    }

    func watch(_ request: ClientRequest) {
        guard request.arguments.count >= 2 else { return reply(arity("watch")) }
        if transaction.lost {
            // An earlier WATCH went with its connection: keep failing until the client starts over.
            return reply(error("ERR the connection of this client's WATCH was lost; UNWATCH or RESET, then WATCH again"))
        }
        let slot = CommandRoute.slot(of: request.arguments[1])
        guard let address = worker.address(ofSlot: slot) else { return reply(error("CLUSTERDOWN Hash slot not served")) }
        if let pinned = transaction.pinned, pinned.address != address {
            return reply(error("CROSSSLOT Keys in request don't hash to the same slot"))
        }
        if transaction.pinned == nil { pin(to: address) }
        sendInTransaction(request)
    }

    func unwatch(_ request: ClientRequest) {
        guard transaction.pinned != nil else {
            transaction.lost = false
            return reply(LocalReply.simple("OK", allocator: allocator))
        }
        sendInTransaction(request)
        endTransaction(closingPinned: false)
    }

    /// Sends `request` on the pinned connection, or keeps it until a key chooses one. A long
    /// run of keyless commands pins the transaction to any shard (their replies would otherwise
    /// fill the client's in-flight allowance before its `EXEC` is read).
    private func sendInTransaction(_ request: ClientRequest) {
        let sequence = reserve()
        if transaction.pinned == nil, transaction.backlog.count >= Self.keylessBacklog,
           let shard = worker.anyShard(), let primary = worker.map?.shards[shard].primary {
            pin(to: primary)
        }
        guard let pinned = transaction.pinned else { return transaction.backlog.append((request, sequence)) }
        pinned.send(request.raw, PendingReply(.client(self, sequence: sequence), redirects: .crossSlot))
    }

    /// Keyless commands kept before a transaction is pinned to any shard.
    static let keylessBacklog = 64

    /// Commands the endpoint answers itself outside a transaction, that the pinned server
    /// queues harmlessly inside one.
    static let queuedAsTheServerQueues: Set<CommandName> = ["PING", "ECHO", "WATCH"]

    private func pin(to address: ServerAddress) {
        let pinned = worker.dedicated(to: address, resp3: resp3, for: self)
        transaction.pinned = pinned
        for (request, sequence) in transaction.backlog {
            pinned.send(request.raw, PendingReply(.client(self, sequence: sequence), redirects: .crossSlot))
        }
        transaction.backlog = []
    }

    /// Answers what was kept back as the server would have: `+OK` to `MULTI`, `+QUEUED` to the rest.
    private func answerBacklog() {
        for (request, sequence) in transaction.backlog {
            complete(sequence, with: LocalReply.simple(request.name == "MULTI" ? "OK" : "QUEUED", allocator: allocator))
        }
        transaction.backlog = []
    }

    /// Ends the transaction; its connection goes back to the worker once its last reply is in.
    func endTransaction(closingPinned: Bool) {
        if let pinned = transaction.pinned {
            if closingPinned {
                pinned.close()
            } else if pinned.isBusy {
                pinned.releaseWhenIdle = true
            } else {
                worker.release(pinned)
            }
        }
        transaction = TransactionState()
    }

    private static let discardCommand: ByteBuffer = {
        var buffer = ByteBufferAllocator().buffer(capacity: 20)
        buffer.writeStaticString("*1\r\n$7\r\nDISCARD\r\n")
        return buffer
    }()
}

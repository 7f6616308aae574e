import NIOCore

/// Requests for a shard whose primary fails over, kept in the order they came until the
/// new primary serves: other shards flow on meanwhile.
final class HeldRequests {
    struct Request {
        var bytes: ByteBuffer
        var pending: PendingReply?
        var resp3: Bool
    }

    /// Which hold this is: a newer hold of the same primary does not expire by an older timer.
    let number: Int
    var requests: [Request] = []
    var expiry: Scheduled<Void>?

    init(number: Int) {
        self.number = number
    }
}

extension Worker {
    /// Holds every request for `primary` from now on, on pooled connections; requests already
    /// sent complete as they do. After `limit` what waits gets `-TRYAGAIN` and the slot map is
    /// read again: a failover maintctl never finished (it died mid-hold) ends here.
    func hold(_ primary: ServerAddress, limit: TimeAmount, number: Int) {
        guard holds[primary] == nil else { return }
        let held = HeldRequests(number: number)
        held.expiry = eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in
            expire(primary, number: number, limit: limit)
        }
        holds[primary] = held
    }

    /// Keeps `request` when its server is held; whether it was kept.
    func held(_ request: ByteBuffer, _ pending: PendingReply?, for address: ServerAddress, resp3: Bool) -> Bool {
        guard let held = holds[address] else { return false }
        held.requests.append(HeldRequests.Request(bytes: request, pending: pending, resp3: resp3))
        return true
    }

    /// Sends what waits for `primary` to `successor`, in order; false when nothing held it
    /// (the hold expired, or never came).
    func release(_ primary: ServerAddress, to successor: ServerAddress) -> Bool {
        guard let held = holds.removeValue(forKey: primary) else { return false }
        held.expiry?.cancel()
        let pool = pool(for: successor)
        for request in held.requests { pool.next(resp3: request.resp3).send(request.bytes, request.pending) }
        return true
    }

    /// Whether requests for `primary` are held now.
    func isHolding(_ primary: ServerAddress) -> Bool { holds[primary] != nil }

    private func expire(_ primary: ServerAddress, number: Int, limit: TimeAmount) {
        guard let held = holds[primary], held.number == number else { return }
        holds[primary] = nil
        log("the failover of \(primary)'s shard did not end within \(limit.nanoseconds / 1_000_000) ms: \(held.requests.count) held requests answered TRYAGAIN")
        let reply = LocalReply.error("TRYAGAIN the shard's failover outlasted the endpoint's hold (\(limit.nanoseconds / 1_000_000) ms); the command was not run",
                                     allocator: allocator)
        for request in held.requests {
            if let pending = request.pending { complete(pending, with: reply) }
        }
        topologyMayHaveChanged()
    }
}

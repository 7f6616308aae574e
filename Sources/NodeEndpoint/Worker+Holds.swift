import NIOCore
import RedisWire

/// Requests for a shard whose primary fails over, kept in the order they came until the new
/// primary serves: other shards flow on meanwhile.
final class HeldRequests {
    struct Request {
        var bytes: ByteBuffer
        var pending: PendingReply?
        var resp3: Bool
    }

    /// Which hold this is: a newer hold of the same primary does not expire by an older timer.
    let number: Int
    /// A slot of the held shard: where it is served after a new slot map.
    let slot: Int
    /// The old primary's pooled connections: requests sent on them before the hold are
    /// answered (or redirected) before the held ones go anywhere.
    let oldConnections: [Upstream]
    var requests: [Request] = []
    var expiry: Scheduled<Void>?

    init(number: Int, slot: Int, oldConnections: [Upstream]) {
        self.number = number
        self.slot = slot
        self.oldConnections = oldConnections
    }
}

/// Held requests released to `successor`, waiting for the old primary's connections to drain.
struct PendingRelease {
    var held: HeldRequests
    var successor: ServerAddress
}

/// What a release found.
enum ReleaseOutcome {
    case released
    /// The hold ended at its limit: its requests were answered `TRYAGAIN`.
    case expired
    /// No hold came (maintctl did not wait for it): nothing was held.
    case notHeld
}

extension Worker {
    /// Holds every request for `primary` from now on, on pooled connections; requests already
    /// sent complete as they do. After `limit` what waits gets `-TRYAGAIN` and the slot map is
    /// read again: a failover maintctl never finished (it died mid-hold) ends here. A primary
    /// this worker's map no longer has (a hold that came after its release) is not held.
    func hold(_ primary: ServerAddress, limit: TimeAmount, number: Int) {
        guard holds[primary] == nil, let map, let shard = map.shards.first(where: { $0.primary == primary }),
              let slot = shard.slots.first?.lowerBound else { return }
        expiredHolds.remove(primary)
        let old = pool(for: primary)
        let held = HeldRequests(number: number, slot: slot, oldConnections: old.resp2 + old.resp3)
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

    /// Sends what waits for `primary` to `successor`, in order, once the old primary has
    /// answered what was sent to it before the hold.
    func release(_ primary: ServerAddress, to successor: ServerAddress) -> ReleaseOutcome {
        guard let held = holds.removeValue(forKey: primary) else {
            return expiredHolds.remove(primary) != nil ? .expired : .notHeld
        }
        held.expiry?.cancel()
        let release = PendingRelease(held: held, successor: successor)
        if held.oldConnections.contains(where: \.isBusy) {
            pendingReleases.append(release)
        } else {
            send(release)
        }
        return .released
    }

    /// An old primary's connection has no reply outstanding: releases waiting only on it go.
    func drained(_ upstream: Upstream) {
        var waiting: [PendingRelease] = []
        for release in pendingReleases {
            if release.held.oldConnections.contains(where: \.isBusy) { waiting.append(release) } else { send(release) }
        }
        pendingReleases = waiting
    }

    /// Releases the holds of primaries that `map` no longer has (a refresh read the failover
    /// before maintctl's release came): to the new primary of their shard.
    func releaseHoldsMoved(by map: SlotMap) {
        for (primary, held) in holds where !map.shards.contains(where: { $0.primary == primary }) {
            guard let index = map.shardIndex(ofSlot: held.slot) else { continue }
            _ = release(primary, to: map.shards[index].primary)
        }
    }

    private func send(_ release: PendingRelease) {
        let pool = pool(for: release.successor)
        for request in release.held.requests { pool.next(resp3: request.resp3).send(request.bytes, request.pending) }
    }

    private func expire(_ primary: ServerAddress, number: Int, limit: TimeAmount) {
        guard let held = holds[primary], held.number == number else { return }
        holds[primary] = nil
        expiredHolds.insert(primary)
        log("the failover of \(primary)'s shard did not end within \(limit.nanoseconds / 1_000_000) ms: \(held.requests.count) held requests answered TRYAGAIN")
        let reply = LocalReply.error("TRYAGAIN the shard's failover outlasted the endpoint's hold (\(limit.nanoseconds / 1_000_000) ms); the command was not run",
                                     allocator: allocator)
        for request in held.requests {
            if let pending = request.pending { complete(pending, with: reply) }
        }
        topologyMayHaveChanged()
    }
}

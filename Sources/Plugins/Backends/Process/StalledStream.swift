import RedisWire

/// Notices a replica whose replication stream has not begun after its full sync. Redis 7.0
/// starts streaming to a replica that loaded a snapshot sent without disk only when the
/// replica first acknowledges it, and ignores an acknowledgement that arrives before the
/// primary has seen its snapshot's child process end; the replica's next one comes up to a
/// second later. Meanwhile its link is up and its offset stands still while the primary's
/// grows under writes. Asked to replicate its primary again, it reconnects at once and
/// continues from its offset (a partial resync, streamed from the start).
struct StalledStream {
    /// How long the offset may stand still behind the primary's before the replica is asked
    /// to reconnect: a stream that flows moves it within milliseconds.
    static let patience = Duration.milliseconds(30)
    /// The least time between two requests to reconnect.
    static let retryAfter = Duration.milliseconds(300)

    private var offset: Int64 = -1
    private var since = ContinuousClock.now
    private var askedAt: ContinuousClock.Instant?

    /// Whether the replica (its own reading) has stood still behind `target`, its primary's
    /// offset, for long enough to be asked to reconnect; notes the request when it says so.
    mutating func shouldReconnect(_ replica: ReplicationInfo, behind target: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        guard replica.linkUp, !replica.isPrimary, replica.offset < target, replica.offset == offset else {
            offset = replica.offset
            since = now
            return false
        }
        guard now - since >= Self.patience, askedAt.map({ now - $0 >= Self.retryAfter }) ?? true else { return false }
        askedAt = now
        since = now
        return true
    }
}

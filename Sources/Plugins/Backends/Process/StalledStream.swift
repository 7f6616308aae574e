import RedisWire

/// Watches a replica's stream after its full sync until the stream is seen to flow. Redis
/// 7.0 starts streaming to a replica that loaded a snapshot sent without disk only when the
/// replica first acknowledges it, and ignores an acknowledgement that arrives before the
/// primary has seen its snapshot's child process end; the replica's next one comes up to a
/// second later. Meanwhile its link is up and its offset stands still: behind the primary's
/// under writes, level with it when none came, so that a sync judged by offsets alone ends
/// and the failover after it waits that second with writes paused. A replica asked to
/// replicate its primary again reconnects at once and continues from its offset (a partial
/// resync), streamed from the start.
struct StalledStream {
    /// What to do after a look at the replica.
    enum Advice: Equatable {
        /// Look again.
        case wait
        /// Ask the replica to reconnect (`CLUSTER REPLICATE` of its primary).
        case reconnect
        /// The replica has what its primary had, and its stream flows.
        case inSync
    }

    /// How long the offset may stand still behind the primary's before the replica is asked
    /// to reconnect: a stream that flows moves it within milliseconds.
    static let patience = Duration.milliseconds(30)
    /// The least time between two requests to reconnect.
    static let retryAfter = Duration.milliseconds(300)

    private var offset: Int64 = -1
    private var since = ContinuousClock.now
    private var askedAt: ContinuousClock.Instant?
    /// The stream was seen to flow: the offset grew with the link up, or the link came up
    /// again after a request to reconnect.
    private var flows = false

    /// Reads one look at the replica (its own `INFO replication`) against `target`, its
    /// primary's offset; notes a request to reconnect when it advises one.
    mutating func advice(_ replica: ReplicationInfo, target: Int64, now: ContinuousClock.Instant = .now) -> Advice {
        guard replica.linkUp, !replica.isPrimary else {
            offset = -1
            since = now
            return .wait
        }
        if askedAt != nil || (offset >= 0 && replica.offset > offset) { flows = true }
        if let asked = askedAt, now - asked >= Self.retryAfter { askedAt = nil }
        if replica.offset != offset {
            offset = replica.offset
            since = now
        }
        if replica.offset >= target, flows { return .inSync }
        // Level but not seen to flow, or behind and standing still: a reconnect proves it.
        guard replica.offset >= target || now - since >= Self.patience, askedAt == nil else { return .wait }
        askedAt = now
        flows = false
        since = now
        return .reconnect
    }
}

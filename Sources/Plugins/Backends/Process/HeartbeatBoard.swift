/// The last answer of every watched server, and since when it has left a PING unanswered.
actor HeartbeatBoard {
    private struct Record {
        var lastAnswer: ContinuousClock.Instant
        /// When the first PING after the last answer that got none was sent; nil while it answers.
        var silentSince: ContinuousClock.Instant?
    }

    private var records: [WatchedCopy: Record] = [:]

    /// Watches exactly these copies; a newly watched one counts as having answered at the
    /// instant given with it.
    func watch(_ copies: [WatchedCopy: ContinuousClock.Instant]) {
        records = records.filter { copies[$0.key] != nil }
        for (copy, since) in copies where records[copy] == nil { records[copy] = Record(lastAnswer: since) }
    }

    func isWatched(_ copy: WatchedCopy) -> Bool { records[copy] != nil }

    func answered(_ copy: WatchedCopy, at instant: ContinuousClock.Instant) {
        guard records[copy] != nil else { return }
        records[copy] = Record(lastAnswer: instant)
    }

    func unanswered(_ copy: WatchedCopy, sentAt instant: ContinuousClock.Instant) {
        guard records[copy] != nil, records[copy]?.silentSince == nil else { return }
        records[copy]?.silentSince = instant
    }

    func lastAnswer(of copy: WatchedCopy) -> ContinuousClock.Instant { records[copy]?.lastAnswer ?? .now }

    func silentSince(of copy: WatchedCopy) -> ContinuousClock.Instant? { records[copy]?.silentSince }
}

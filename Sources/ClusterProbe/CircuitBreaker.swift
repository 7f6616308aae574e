/// Stops hammering a shard that keeps failing: after `threshold` failures in a row it opens
/// for `cooldown`, then lets one attempt through (half-open); a success closes it.
struct CircuitBreaker {
    let threshold: Int
    let cooldown: Duration
    private var failures = 0
    private var openUntil: ContinuousClock.Instant?

    init(threshold: Int = 5, cooldown: Duration = .milliseconds(200)) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// How long to wait before the next attempt may go out (zero when closed or half-open).
    func wait(at now: ContinuousClock.Instant) -> Duration {
        guard let openUntil, openUntil > now else { return .zero }
        return openUntil - now
    }

    mutating func succeeded() {
        failures = 0
        openUntil = nil
    }

    mutating func failed(at now: ContinuousClock.Instant) {
        failures += 1
        if failures >= threshold { openUntil = now + cooldown }
    }
}

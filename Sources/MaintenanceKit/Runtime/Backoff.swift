/// Exponential backoff with "equal jitter" between retries of an action: the delay is drawn
/// between half and all of the exponential ceiling, so retries of many actions spread out
/// but never come back sooner than half the ceiling.
public struct Backoff: Sendable {
    /// The delay before the first retry, before jitter.
    public var base: Duration
    /// The longest delay.
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(60)) {
        self.base = base
        self.cap = cap
    }

    /// The delay before retry number `retry` (1 for the first), uniformly drawn between half
    /// and all of `min(cap, base × 2^(retry-1))`.
    public func delay(beforeRetry retry: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(cap.seconds, base.seconds * Double(1 << exponent))
        let seconds = Double.random(in: (ceiling / 2)...max(ceiling, ceiling / 2), using: &random)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

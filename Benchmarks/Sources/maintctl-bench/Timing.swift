/// Repeated wall-clock measurements of one thing, summarized by median and minimum.
struct Timing: Sendable {
    /// Every measured duration, in the order taken.
    var samples: [Duration] = []

    /// The median sample (the mean of the middle two for an even count).
    var median: Duration {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return .zero }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The fastest sample.
    var min: Duration { samples.min() ?? .zero }

    /// Adds a sample.
    mutating func record(_ duration: Duration) { samples.append(duration) }
}

/// Times `body` on the continuous clock, returning its result and how long it took.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try body()
    return (value, clock.now - start)
}

/// Times the async `body` on the continuous clock, returning its result and how long it took.
func timedAsync<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, clock.now - start)
}

extension Duration {
    /// The duration in milliseconds, as a floating-point number.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// The duration in microseconds, as a floating-point number.
    var microseconds: Double { milliseconds * 1000 }
}

import MaintenanceKit
import Synchronization

/// Virtual time for the simulation: sleeping advances the sleeping task's own timeline
/// instantly, so a rollout that would take hours runs in milliseconds, deterministically.
///
/// Each concurrent branch of a rollout (one per cache) has its own timeline, started at the
/// virtual moment the branch began; time limits are deadlines on that timeline.
///
/// With a time scale, every sleep also waits in real time (simulated seconds per real second),
/// so a simulated rollout can be watched, stopped and crashed as it goes.
public struct VirtualClock: RolloutClock {
    final class Timeline: Sendable {
        let now: Mutex<Duration>
        init(_ start: Duration) { now = Mutex(start) }
    }

    struct Deadline: Sendable {
        var at: Duration
        var limit: Duration
    }

    @TaskLocal static var timeline: Timeline?
    @TaskLocal static var deadline: Deadline?

    private let root = Timeline(.zero)
    /// Simulated seconds per real second; nil runs as fast as possible.
    public let timeScale: Double?

    /// - Parameter timeScale: Simulated seconds per real second (positive); nil for no real waiting.
    public init(timeScale: Double? = nil) {
        self.timeScale = timeScale.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
    }

    private var current: Timeline { Self.timeline ?? root }

    public var now: Duration { current.now.withLock { $0 } }
    /// Virtual unless paced in real time: a paced simulation behaves towards stops and
    /// concurrency as a real rollout does.
    public var isVirtual: Bool { timeScale == nil }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let deadline = Self.deadline
        if let timeScale {
            let wait = deadline.map { min(duration, max(.zero, $0.at - now)) } ?? duration
            try await Task.sleep(for: wait / timeScale)
        }
        let expired = current.now.withLock { now -> Bool in
            if let deadline, now + duration > deadline.at {
                now = max(now, deadline.at)
                return true
            }
            now += max(duration, .zero)
            return false
        }
        if expired, let deadline { throw TimeoutError(limit: deadline.limit) }
    }

    public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let at = now + limit
        let deadline = Self.deadline.map { $0.at < at ? $0 : Deadline(at: at, limit: limit) } ?? Deadline(at: at, limit: limit)
        return try await Self.$deadline.withValue(deadline) { try await body() }
    }

    public func branch<T: Sendable>(startingAt start: Duration, _ body: @Sendable () async throws -> T) async rethrows -> T {
        try await Self.$timeline.withValue(Timeline(start)) { try await body() }
    }
}

/// The time a rollout runs on: real time for real backends, virtual time for the simulation.
public protocol RolloutClock: Sendable {
    /// Time elapsed since the rollout began, on this clock (and, for a virtual clock, in this task).
    var now: Duration { get }
    /// Whether time only moves when a task sleeps (so waiting costs no real time).
    var isVirtual: Bool { get }
    /// Suspends for `duration`.
    func sleep(for duration: Duration) async throws
    /// Runs `body`, failing with `TimeoutError` when it takes longer than `limit`.
    func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T
    /// Runs `body` as a concurrent branch of the rollout that starts at `start`.
    func branch<T: Sendable>(startingAt start: Duration, _ body: @Sendable () async throws -> T) async rethrows -> T
}

/// An action that ran past its time limit.
public struct TimeoutError: Error, Sendable, CustomStringConvertible {
    public var limit: Duration
    public init(limit: Duration) { self.limit = limit }
    public var description: String { "timed out after \(limit.humanReadable)" }
}

/// Real time.
public struct WallClock: RolloutClock {
    private let origin: ContinuousClock.Instant

    /// A clock whose `now` counts from this moment.
    public init() { origin = .now }

    public var now: Duration { ContinuousClock.now - origin }
    public var isVirtual: Bool { false }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }

    public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw TimeoutError(limit: limit) }
            return value
        }
    }

    public func branch<T: Sendable>(startingAt start: Duration, _ body: @Sendable () async throws -> T) async rethrows -> T {
        try await body()
    }
}

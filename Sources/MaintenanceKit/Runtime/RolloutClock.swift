/// The time a rollout runs on: real time for real backends, virtual time for the simulation.
///
/// The runtime runs the same way on both. Its concurrent parts (one per cache under
/// maintenance, and the timer of a cache's timed faults) are *branches*: opened by their owner
/// before their task starts, run, and closed once their owner has taken their result in. A
/// virtual clock uses them to run one branch at a time and to move time only when every open
/// branch sleeps, waking the earliest sleeper (as `NIOEmbeddedEventLoop` does); real time
/// needs none of it.
public protocol RolloutClock: Sendable {
    /// Time elapsed since the clock began.
    var now: Duration { get }
    /// Suspends for `duration`.
    func sleep(for duration: Duration) async throws
    /// Runs `body`, failing with `TimeoutError` when it takes longer than `limit`.
    func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T
    /// Opens a branch that starts now; call it before creating the branch's task.
    func openBranch() -> ClockBranch
    /// Runs `body` as `branch`.
    func run<T: Sendable>(_ branch: ClockBranch, _ body: @Sendable () async throws -> T) async rethrows -> T
    /// Closes `branch`: its body returned and its owner has taken the result in.
    func closeBranch(_ branch: ClockBranch)
}

/// A concurrent part of a rollout, as its clock knows it.
public struct ClockBranch: Sendable, Hashable {
    /// Unique per clock (0 on a clock that does not tell branches apart).
    public let id: UInt64
    public init(id: UInt64) { self.id = id }
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

    /// Real branches run side by side; nothing to track.
    public func openBranch() -> ClockBranch { ClockBranch(id: 0) }

    public func run<T: Sendable>(_ branch: ClockBranch, _ body: @Sendable () async throws -> T) async rethrows -> T {
        try await body()
    }

    public func closeBranch(_ branch: ClockBranch) {}
}

import MaintenanceKit

/// Virtual time for the simulation: a rollout that would take hours runs in milliseconds,
/// deterministically, and behaves as it would in real time (a stop reaches every running cache
/// at its next safe point, timed faults hit on time).
///
/// The branches of a rollout (its caches, their timers) run one at a time; time moves only
/// when all of them sleep, to the earliest wake-up (see ``VirtualScheduler``). Time limits are
/// deadlines on that time.
///
/// With a time scale, every sleep also waits in real time (simulated seconds per real second),
/// so a simulated rollout can be watched, stopped and crashed as it goes.
public struct VirtualClock: RolloutClock {
    struct Deadline: Sendable {
        var at: Duration
        var limit: Duration
    }

    /// Whether the current task runs as a branch of the rollout.
    @TaskLocal static var inBranch = false
    @TaskLocal static var deadline: Deadline?

    private let scheduler = VirtualScheduler()
    /// The thread the branches take their turns on, while any is open.
    private let executor = ClockExecutor()
    /// Simulated seconds per real second; nil runs as fast as possible.
    public let timeScale: Double?

    /// - Parameter timeScale: Simulated seconds per real second (positive); nil for no real waiting.
    public init(timeScale: Double? = nil) {
        self.timeScale = timeScale.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
    }

    public var now: Duration { scheduler.now }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let deadline = Self.deadline
        let now = scheduler.now
        var until = now + max(duration, .zero)
        var expired = false
        if let deadline, until > deadline.at {
            until = max(now, deadline.at)
            expired = true
        }
        if !Self.inBranch {
            scheduler.advance(by: until - now)
            if let timeScale { try await Task.sleep(for: (until - now) / timeScale) }
        } else {
            let waited = try await scheduler.sleep(until: until)
            if let timeScale { try await Task.sleep(for: waited / timeScale) }
        }
        if expired, let deadline { throw TimeoutError(limit: deadline.limit) }
    }

    public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let at = now + limit
        let deadline = Self.deadline.map { $0.at < at ? $0 : Deadline(at: at, limit: limit) } ?? Deadline(at: at, limit: limit)
        return try await Self.$deadline.withValue(deadline) { try await body() }
    }

    public func openBranch() -> ClockBranch {
        executor.branchOpened()
        return scheduler.open()
    }

    public func run<T: Sendable>(_ branch: ClockBranch, _ body: @Sendable () async throws -> T) async rethrows -> T {
        // Branches take turns on one thread: a turn handed over wakes no other thread.
        return try await withTaskExecutorPreference(executor.forStartingBranch) {
            try await Self.$inBranch.withValue(true) {
                // The first turn: the branch starts when every other branch opened before it has
                // run until it sleeps (a branch's id is its place in that order).
                _ = try? await scheduler.sleep(until: scheduler.now, order: branch.id)
                return try await body()
            }
        }
    }

    public func closeBranch(_ branch: ClockBranch) {
        scheduler.close()
        executor.branchClosed()
    }
}

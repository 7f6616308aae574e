/// A backend's clock read from the moment a rollout began, so a backend that lives longer
/// than one rollout (a live cluster driven by several runs) still reports each rollout's
/// times from zero.
struct ElapsedClock: RolloutClock {
    let base: any RolloutClock
    let origin: Duration

    init(_ base: any RolloutClock) {
        self.base = base
        self.origin = base.now
    }

    var now: Duration { base.now - origin }

    func sleep(for duration: Duration) async throws { try await base.sleep(for: duration) }

    func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await base.withTimeout(limit, body)
    }

    func openBranch() -> ClockBranch { base.openBranch() }

    func run<T: Sendable>(_ branch: ClockBranch, _ body: @Sendable () async throws -> T) async rethrows -> T {
        try await base.run(branch, body)
    }

    func closeBranch(_ branch: ClockBranch) { base.closeBranch(branch) }
}

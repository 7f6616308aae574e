import Synchronization

/// Background work with an owner, in service-lifecycle's `Service` shape: jobs started with
/// ``start(priority:_:)`` run as child tasks of ``run()``. When the task running `run()` is
/// cancelled, every job is cancelled, and `run()` returns once all of them have ended. No job
/// outlives its scope and none runs detached.
///
/// A second `run()` while one runs only waits for its own cancellation, so that a scope can be
/// run by every user of a shared owner (a rollout, and a test around it).
public final class BackgroundScope: Sendable {
    private struct State {
        var jobs: AsyncStream<BackgroundJob>.Continuation?
        /// Started jobs that have not begun to run: told they ended when the scope does.
        var waiting: [ObjectIdentifier: BackgroundJob] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether a `run()` is running jobs now.
    public var isRunning: Bool { state.withLock { $0.jobs != nil } }

    /// Runs the scope's jobs until the calling task is cancelled, then cancels them and waits
    /// for them to end.
    public func run() async {
        let (jobs, continuation) = AsyncStream<BackgroundJob>.makeStream()
        let owns = state.withLock { state -> Bool in
            guard state.jobs == nil else { return false }
            state.jobs = continuation
            return true
        }
        guard owns else {
            await AsyncSignal().wait()
            return
        }
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                state.withLock { _ = $0.waiting.removeValue(forKey: ObjectIdentifier(job)) }
                group.addTask(priority: job.priority) { await job.execute() }
            }
            group.cancelAll()
        }
        let left = state.withLock { state in
            state.jobs = nil
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for job in left { job.endUnrun() }
    }

    /// Returns once a `run()` runs jobs, or after `limit` without one (a `run()` started as a
    /// sibling task a moment ago may not have begun yet).
    /// - Returns: Whether one runs.
    public func waitUntilRunning(limit: Duration = .seconds(2)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        await Task.yield()
        while !isRunning, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return isRunning
    }

    /// Starts `body` as a child task of the running scope.
    /// - Returns: A handle to cancel the job and wait for its end.
    /// - Throws: `BackgroundScopeNotRunning` when no `run()` runs (after waiting a moment for
    ///   one that is starting); nothing was started.
    public func start(priority: TaskPriority? = nil, _ body: @escaping @Sendable () async -> Void) async throws(BackgroundScopeNotRunning) -> BackgroundJob {
        guard await waitUntilRunning() else { throw BackgroundScopeNotRunning() }
        let job = BackgroundJob(priority: priority, body: body)
        let started = state.withLock { state -> Bool in
            guard let jobs = state.jobs else { return false }
            state.waiting[ObjectIdentifier(job)] = job
            jobs.yield(job)
            return true
        }
        guard started else { throw BackgroundScopeNotRunning() }
        return job
    }
}

/// One job of a ``BackgroundScope``.
public final class BackgroundJob: Sendable {
    let priority: TaskPriority?
    private let body: @Sendable () async -> Void
    private let cancelled = AsyncSignal()
    private let ended = AsyncSignal()

    init(priority: TaskPriority?, body: @escaping @Sendable () async -> Void) {
        self.priority = priority
        self.body = body
    }

    /// Asks the job to stop (its task is cancelled).
    public func cancel() { cancelled.fire() }

    /// Returns once the job has ended.
    public func wait() async { await ended.wait() }

    /// Cancels the job and returns once it has ended.
    public func stop() async {
        cancel()
        await wait()
    }

    func execute() async {
        defer { ended.fire() }
        guard !cancelled.isFired else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.body() }
            group.addTask { await self.cancelled.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    func endUnrun() { ended.fire() }
}

/// Background work was asked for while nothing runs the scope that owns it.
public struct BackgroundScopeNotRunning: Error, Sendable, CustomStringConvertible {
    public var description: String { "no task runs the backend's background work (Backend.run()); nothing was started" }
}

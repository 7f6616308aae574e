import Synchronization

/// The ``SimulationExecutor`` a virtual clock's branches run on: taken from the pool when the
/// clock opens its first branch, given back when its last branch closes.
final class ClockExecutor: Sendable {
    private let state = Mutex<(executor: SimulationExecutor?, branches: Int)>((nil, 0))

    /// The executor for a branch that starts now: the clock's, when other branches are open
    /// to hand turns to; nil (the global pool) for a branch alone, which hands no turn over and
    /// would only pay the hop to the executor's thread.
    var forStartingBranch: SimulationExecutor? { state.withLock { $0.branches > 1 ? $0.executor : nil } }

    func branchOpened() {
        state.withLock { state in
            if state.branches == 0 { state.executor = SimulationExecutor.acquire() }
            state.branches += 1
        }
    }

    func branchClosed() {
        let released = state.withLock { state -> SimulationExecutor? in
            state.branches -= 1
            guard state.branches == 0 else { return nil }
            defer { state.executor = nil }
            return state.executor
        }
        released?.release()
    }
}

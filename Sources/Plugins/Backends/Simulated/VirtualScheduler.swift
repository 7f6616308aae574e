import MaintenanceKit
import Synchronization

/// The executor behind ``VirtualClock``: one branch of the rollout runs at a time; time moves
/// only when every open branch sleeps, to the earliest wake-up, whose branch runs next. Ties
/// go to the sleeper that went to sleep first, and a branch's first turn is ordered by when
/// it was opened, so the same rollout always interleaves the same way.
final class VirtualScheduler: Sendable {
    private struct Sleeper {
        var at: Duration
        /// Orders sleepers due at the same moment.
        var order: UInt64
        var continuation: UnsafeContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        /// Open branches that are not asleep: running, or opened and not yet started, or
        /// finished and not yet closed by their owner.
        var awake = 0
        var sleepers: [Sleeper] = []
        var nextOrder: UInt64 = 0

        mutating func order() -> UInt64 {
            nextOrder += 1
            return nextOrder
        }

        /// The sleeper to wake now, if every branch sleeps.
        mutating func next() -> Sleeper? {
            guard awake == 0, !sleepers.isEmpty else { return nil }
            let sleeper = sleepers.removeFirst()
            now = max(now, sleeper.at)
            awake += 1
            return sleeper
        }

        mutating func insert(_ sleeper: Sleeper) {
            let index = sleepers.firstIndex { ($0.at, $0.order) > (sleeper.at, sleeper.order) } ?? sleepers.endIndex
            sleepers.insert(sleeper, at: index)
        }
    }

    private let state = Mutex(State())

    var now: Duration { state.withLock { $0.now } }

    /// A new branch, awake until it starts. Its id orders its first turn among sleepers due
    /// at the same moment: after those already asleep, before those that sleep later.
    func open() -> ClockBranch {
        state.withLock { state in
            state.awake += 1
            return ClockBranch(id: state.order())
        }
    }

    /// A finished branch whose owner took its result in.
    func close() {
        let woken = state.withLock { state -> Sleeper? in
            state.awake -= 1
            return state.next()
        }
        woken?.continuation.resume()
    }

    /// Puts the calling branch to sleep until `at` (ordered by `order` among sleepers due
    /// then); returns at once when it would be the next to wake anyway.
    /// - Returns: The time before the wake-up, to wait in real time when the clock is paced.
    /// - Throws: `CancellationError` when the task is cancelled while it sleeps.
    func sleep(until at: Duration, order: UInt64? = nil) async throws -> Duration {
        let before = now
        let id = state.withLock { state -> UInt64? in
            let order = order ?? state.order()
            // The only branch awake, and due before every sleeper: no one else can run first.
            if state.awake == 1, state.sleepers.first.map({ (at, order) < ($0.at, $0.order) }) ?? true {
                state.now = max(state.now, at)
                return nil
            }
            return order
        }
        guard let id else { return max(.zero, at - before) }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let woken = state.withLock { state -> (Sleeper?, cancelled: Bool) in
                    if Task.isCancelled { return (nil, true) }
                    state.insert(Sleeper(at: at, order: id, continuation: continuation))
                    state.awake -= 1
                    return (state.next(), false)
                }
                if woken.cancelled { continuation.resume(throwing: CancellationError()) }
                woken.0?.continuation.resume()
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.order == id }) else { return nil }
                state.awake += 1
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
        return max(.zero, at - before)
    }

    /// Moves time by `duration` for a task outside every branch (a test calling a backend
    /// directly): nothing else runs on the clock then.
    func advance(by duration: Duration) {
        state.withLock { $0.now += max(duration, .zero) }
    }
}

import Synchronization

/// Holds events back and passes them on in the order of their timestamps when the rollout
/// ends. On a virtual clock, concurrent caches run ahead of one another in real time; this
/// makes a simulated rollout's output read as it would have happened, and the same for the
/// same seed.
public final class TimeOrderedReporter: RolloutReporter {
    private struct Held {
        var time: Duration
        var cacheRank: Int
        var sequence: Int
        var event: RolloutEvent
    }

    private let output: any RolloutReporter
    private let held = Mutex<(events: [Held], ranks: [String: Int], count: Int)>(([], [:], 0))

    /// - Parameter output: Receives the events, in time order, once the rollout finishes.
    public init(passingTo output: any RolloutReporter) { self.output = output }

    public func report(_ event: RolloutEvent) {
        switch event {
        case let .rolloutStarted(plan, _):
            held.withLock { state in
                state.ranks = Dictionary(plan.caches.enumerated().map { ($1.cache, $0) }, uniquingKeysWith: { first, _ in first })
            }
            output.report(event)
        case .rolloutFinished:
            let events = held.withLock { state -> [Held] in
                defer { state.events.removeAll() }
                return state.events
            }
            for item in events.sorted(by: { ($0.time, $0.cacheRank, $0.sequence) < ($1.time, $1.cacheRank, $1.sequence) }) {
                output.report(item.event)
            }
            output.report(event)
        default:
            let (time, cache) = Self.stamp(of: event)
            held.withLock { state in
                state.count += 1
                state.events.append(Held(time: time, cacheRank: state.ranks[cache] ?? .max, sequence: state.count, event: event))
            }
        }
    }

    private static func stamp(of event: RolloutEvent) -> (Duration, String) {
        switch event {
        case let .cacheStarted(cache, _, at): (at, cache)
        case let .actionStarted(action, at): (at, action.cache)
        case let .actionAlreadyDone(action, at): (at, action.cache)
        case let .actionFinished(action, at, _, _, _): (at, action.cache)
        case let .actionFailed(action, at, _, _, _): (at, action.cache)
        case let .paused(cache, at, _, _): (at, cache)
        case let .operationFinished(cache, _, _, at): (at, cache)
        case let .faultInjected(cache, _, _, at): (at, cache)
        case let .faultNotInjected(cache, _, _, at): (at, cache)
        case let .unplannedFailure(cache, _, at): (at, cache)
        case let .cacheFinished(outcome): (outcome.finished, outcome.cache)
        case .rolloutStarted, .rolloutFinished: (.zero, "")
        }
    }
}

import Synchronization

/// A request to stop a rollout at the next safe point: the action in flight finishes, no new
/// action or cache starts. Separate from task cancellation, which would interrupt an action.
public final class StopSignal: Sendable {
    /// Why the rollout stops.
    public enum Reason: Sendable, Equatable {
        /// The operator asked (Ctrl-C, `abort`).
        case requested
        /// An action failed for good and the policy stops everything.
        case failure(cache: String)
    }

    private let reason = Mutex<Reason?>(nil)
    private let requested = AsyncSignal()

    public init() {}

    /// Asks the rollout to stop; the first reason given is kept.
    public func request(_ why: Reason = .requested) {
        reason.withLock { current in
            if current == nil { current = why }
        }
        requested.fire()
    }

    /// Returns once a stop is requested, or once the calling task is cancelled.
    public func wait() async { await requested.wait() }

    /// Why a stop was requested, if one was.
    public var requestedReason: Reason? { reason.withLock { $0 } }
    /// Whether a stop was requested.
    public var isRequested: Bool { requestedReason != nil }
}

/// The one place that decides whether a failed attempt of an action may be tried again.
///
/// An attempt is tried again (within its step's retries) unless the failure says that trying
/// again cannot help or must not happen: an invariant the action broke, a plan that does not
/// name what the action needs, an action the plan does not know, or a cancelled rollout.
/// A backend's failures and time-outs are retryable: every action checks the live state
/// before it acts.
enum RetryDecision {
    /// Whether the attempt that failed with `error` may be tried again.
    static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case is InvariantViolation, is MissingSubjectField, is PlanningError, is CancellationError, is JournalWriteError: false
        default: true
        }
    }
}

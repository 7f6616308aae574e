/// What a cache's rollout does before each action (a stop, an abort, a window, a pause under
/// way) and after a node failed under it (`on_unplanned_failure`).
extension RolloutRuntime {
    /// A node failed under the rollout and the policy is to pause: the node whose actions may
    /// still finish (nil: none), and why the cache stops after them.
    struct Pausing: Sendable {
        var node: String?
        var reason: String
    }

    /// Why a cache stops before an action.
    struct Halt: Sendable {
        var status: CacheOutcome.Status
        var reason: String?
    }

    /// What the policy says after an action during which nodes failed.
    enum FailureDecision: Sendable {
        /// Go on with the next action.
        case goOn
        /// Finish the failed node's actions in flight, then pause.
        case pause(Pausing)
        /// Stop the cache, failed.
        case fail(String)
    }

    /// Whether `action` may start: nil to go on, else why the cache stops before it. An abort
    /// asked from another process, or a stop while waiting for a maintenance window, stops
    /// the whole rollout.
    /// - Parameter length: When the action begins a node's run of actions, how long that run
    ///   should take (it must fit in a maintenance window).
    func gate(_ action: PlannedAction, needing length: Duration?, pausing: Pausing?, clock: any RolloutClock) async -> Halt? {
        if !stop.isRequested, await journal?.isAbortRequested() == true { stop.request(.requested) }
        if let length, !(await waitForWindow(before: action, needing: length, clock: clock)) { stop.request(.requested) }
        if let pausing, steps[action.stepIndex]?.step.isPerNode != true || action.subject.node != pausing.node {
            return Halt(status: .paused, reason: pausing.reason)
        }
        return stop.isRequested ? Halt(status: .stopped, reason: nil) : nil
    }

    /// What to do after `action` (at `position` in `cachePlan`), during which `failures` happened.
    func decide(after action: PlannedAction, at position: Int, of cachePlan: CachePlan, failures: [UnplannedFailure],
                pausing: Pausing?) async -> FailureDecision {
        let what = failures.map(\.summary).joined(separator: "; ")
        switch plan.policy.onUnplannedFailure {
        case .abort:
            return .fail("\(what) (on_unplanned_failure: abort)")
        case .pause:
            guard pausing == nil else { return .goOn }
            let node = steps[action.stepIndex]?.step.isPerNode == true ? action.subject.node : nil
            return .pause(Pausing(node: node, reason: "paused: \(what); check the cache, then `maintctl resume` (on_unplanned_failure: pause)"))
        case .continue:
            // Around the lost node, as long as the rest of the plan, planned again from the
            // cache as it is now, keeps every rule; otherwise stop here.
            guard pausing == nil, let topology = try? await backend.topology(of: cachePlan.cache) else { return .goOn }
            let problems = ContinuationCheck(registry: registry, steps: steps).problems(continuing: cachePlan, at: position + 1, from: topology)
            guard let problem = problems.first else { return .goOn }
            return .pause(Pausing(node: nil, reason: "paused: \(what); the rest of the plan cannot continue around it: \(problem) "
                                  + "(on_unplanned_failure: continue)"))
        }
    }
}

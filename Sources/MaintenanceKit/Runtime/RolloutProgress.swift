/// What an earlier, interrupted run of the same plan already did, as its journal tells it:
/// the runtime skips actions that succeeded and performs the others, which check the live
/// state before they act.
public struct RolloutProgress: Sendable {
    /// The actions that succeeded, per cache and action index, with what they reported.
    public var completed: [String: [Int: ActionResult]]
    /// The attempts already made of actions that did not succeed, per cache and action index.
    public var attempts: [String: [Int: Int]]

    public init(completed: [String: [Int: ActionResult]] = [:], attempts: [String: [Int: Int]] = [:]) {
        self.completed = completed
        self.attempts = attempts
    }

    /// What `action` reported when it succeeded earlier, if it did.
    public func result(of action: PlannedAction) -> ActionResult? { completed[action.cache]?[action.index] }

    /// How many attempts of `action` were made before.
    public func attemptsMade(of action: PlannedAction) -> Int { attempts[action.cache]?[action.index] ?? 0 }

    /// Whether nothing was done before.
    public var isEmpty: Bool { completed.isEmpty && attempts.isEmpty }
}

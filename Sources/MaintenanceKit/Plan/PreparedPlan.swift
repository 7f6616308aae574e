/// A plan whose steps are bound to their plugins, checked once and run as often as needed
/// (`verify` runs parts of one plan thousands of times).
public struct PreparedPlan: Sendable {
    /// The plan.
    public let plan: Plan
    /// Its steps, by index.
    let steps: [Int: PreparedStep]

    /// Binds `plan`'s steps to the plugins of `registry` (see ``Plan/prepare(with:locator:)``).
    /// - Throws: `DiagnosticsError` with every problem; nothing may run then.
    public init(_ plan: Plan, registry: PluginRegistry) throws(DiagnosticsError) {
        self.plan = plan
        self.steps = try plan.prepare(with: registry)
    }

    private init(plan: Plan, steps: [Int: PreparedStep]) {
        self.plan = plan
        self.steps = steps
    }

    /// The same plan for only `caches`, some of its own caches.
    public func restricted(to caches: [CachePlan]) -> PreparedPlan {
        var part = plan
        part.caches = caches
        return PreparedPlan(plan: part, steps: steps)
    }
}

/// Why a step, planned against a projected topology, would be unsafe.
enum StepProblem {
    /// The plugin refused to plan it.
    case refused(String)
    /// A node would go over its capacity (invariant 8).
    case headroom(String)
    /// The projected topology would break an invariant it did not break before.
    case invariant(InvariantViolation)
}

extension PlanningContext {
    /// Plans `invocation` with `plugin` (for `node` in a `for_each` block) on this context and
    /// returns what would make it unsafe. `known` holds the breaches already seen, so
    /// that a violation is reported by the step that caused it only.
    mutating func plan(_ invocation: StepInvocation, node: String?, with plugin: AnyStepPlugin,
                       known: inout Set<InvariantViolation.Identity>) -> [StepProblem] {
        step = invocation
        currentNode = node
        let before = headroomProblems.count
        var problems: [StepProblem] = []
        do {
            try plugin.plan(invocation.parameters, &self)
        } catch {
            problems.append(.refused(error.message))
        }
        problems += headroomProblems[before...].map(StepProblem.headroom)
        for violation in Invariants.check(topology) where known.insert(violation.identity).inserted {
            problems.append(.invariant(violation))
        }
        return problems
    }
}

/// A plan's step bound to its plugin with its parameters decoded, ready to perform actions.
public struct PreparedStep: Sendable {
    /// The step as the plan holds it.
    public let step: PlanStep
    /// The plugin's self-description.
    public let descriptor: StepDescriptor
    /// The step with typed parameters, for planning the rest of a cache again.
    let invocation: StepInvocation
    /// What an action of this step lacks to be performed (nil when nothing).
    let check: @Sendable (PlannedAction) -> MissingSubjectField?
    let perform: @Sendable (PlannedAction, ExecutionContext) async throws -> Void

    init(step: PlanStep, descriptor: StepDescriptor, invocation: StepInvocation,
         check: @escaping @Sendable (PlannedAction) -> MissingSubjectField?,
         perform: @escaping @Sendable (PlannedAction, ExecutionContext) async throws -> Void) {
        self.step = step
        self.descriptor = descriptor
        self.invocation = invocation
        self.check = check
        self.perform = perform
    }

    /// How many times a failed action of this step may be tried in all.
    var attempts: Int { 1 + (descriptor.isRetryable ? step.retries : 0) }
}

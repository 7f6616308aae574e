/// A step plugin with its parameter type erased, as the registry, planner and runtime hold it.
public struct AnyStepPlugin: Sendable {
    /// The plugin's self-description.
    public let descriptor: StepDescriptor
    let decode: @Sendable (ConfigNode, String) -> (value: (any Sendable)?, diagnostics: [Diagnostic])
    let validate: @Sendable (any Sendable, ValidationContext) -> [ParameterProblem]
    let plan: @Sendable (any Sendable, inout PlanningContext) throws(PlanningError) -> Void
    let execute: @Sendable (PlannedAction, any Sendable, ExecutionContext) async throws -> Void

    /// Wraps `plugin`.
    public init<Plugin: StepPlugin>(_ plugin: Plugin) {
        descriptor = Plugin.descriptor
        decode = { node, context in
            let (value, diagnostics) = ConfigDecoder.decode(Plugin.Parameters.self, from: node, context: context)
            return (value, diagnostics)
        }
        validate = { parameters, context in
            guard let typed = parameters as? Plugin.Parameters else { return [] }
            return plugin.validate(typed, in: context)
        }
        plan = { parameters, context throws(PlanningError) in
            guard let typed = parameters as? Plugin.Parameters else {
                throw PlanningError("parameters of '\(Plugin.descriptor.id)' have the wrong type")
            }
            try plugin.plan(typed, in: &context)
        }
        execute = { action, parameters, context in
            guard let typed = parameters as? Plugin.Parameters else {
                throw PlanningError("parameters of '\(Plugin.descriptor.id)' have the wrong type")
            }
            try await plugin.execute(action, parameters: typed, context: context)
        }
    }

    /// The plugin id.
    public var id: String { descriptor.id }
}

/// A step plugin with its parameter type erased, as the registry, planner and runtime hold it.
public struct AnyStepPlugin: Sendable {
    /// The plugin's self-description.
    public let descriptor: StepDescriptor
    let decode: @Sendable (ConfigNode, String) -> (value: (any Sendable)?, diagnostics: [Diagnostic])
    let encode: @Sendable (any Sendable) throws -> JSONValue
    let validate: @Sendable (any Sendable, ValidationContext) -> [ParameterProblem]
    let plan: @Sendable (any Sendable, inout PlanningContext) throws(PlanningError) -> Void
    let prepare: @Sendable (PlanStep, ConfigNode) -> (step: PreparedStep?, diagnostics: [Diagnostic])

    /// Wraps `plugin`.
    public init<Plugin: StepPlugin>(_ plugin: Plugin) {
        let descriptor = Plugin.descriptor
        self.descriptor = descriptor
        decode = { node, context in
            let (value, diagnostics) = ConfigDecoder.decode(Plugin.Parameters.self, from: node, context: context)
            return (value, diagnostics)
        }
        encode = { parameters in
            guard let typed = parameters as? Plugin.Parameters else {
                throw PlanningError("parameters of '\(descriptor.id)' have the wrong type")
            }
            return try JSONValue.encoding(typed)
        }
        validate = { parameters, context in
            guard let typed = parameters as? Plugin.Parameters else {
                return [ParameterProblem(at: [], "parameters of '\(descriptor.id)' have the wrong type")]
            }
            return plugin.validate(typed, in: context)
        }
        plan = { parameters, context throws(PlanningError) in
            guard let typed = parameters as? Plugin.Parameters else {
                throw PlanningError("parameters of '\(descriptor.id)' have the wrong type")
            }
            try plugin.plan(typed, in: &context)
        }
        prepare = { step, node in
            let (value, diagnostics) = ConfigDecoder.decode(Plugin.Parameters.self, from: node, context: "step '\(descriptor.id)'")
            guard let value, diagnostics.isEmpty else { return (nil, diagnostics) }
            let invocation = StepInvocation(index: step.index, pluginID: step.plugin, name: step.name, parameters: value,
                                            timeout: step.timeout, retries: step.retries, location: step.location,
                                            isPerNode: step.isPerNode)
            return (PreparedStep(step: step, descriptor: descriptor, invocation: invocation,
                                 check: { action in
                                     do throws(MissingSubjectField) {
                                         _ = try Plugin.Target(action)
                                         return nil
                                     } catch {
                                         return error
                                     }
                                 },
                                 perform: { action, context in
                                     try await plugin.execute(action, target: try Plugin.Target(action), parameters: value, context: context)
                                 }), [])
        }
    }

    /// The plugin id.
    public var id: String { descriptor.id }
}

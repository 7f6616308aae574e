/// Resolves written steps into typed invocations: finds each plugin, substitutes variables,
/// decodes and validates parameters, and checks where each step may stand.
struct StepResolver {
    let registry: PluginRegistry
    let variables: [String: String]
    let validation: ValidationContext?
    private(set) var diagnostics: [Diagnostic] = []
    private var nextIndex = 0
    private var replacementsPlanned = false

    init(registry: PluginRegistry, variables: [String: String], validation: ValidationContext?) {
        self.registry = registry
        self.variables = variables
        self.validation = validation
    }

    mutating func resolve(_ documents: [StepDocument], listLocation: SourceLocation) -> [PlaybookStep] {
        if documents.isEmpty { diagnostics.append(Diagnostic(.emptySteps, at: listLocation, "the step list is empty")) }
        var steps: [PlaybookStep] = []
        for document in documents where !document.isPlaceholder {
            if let selection = document.forEach {
                let inner = document.steps ?? []
                if selection == .oldNode, !replacementsPlanned {
                    let providers = registry.steps.values.filter(\.descriptor.providesReplacements).map(\.id).sorted()
                    diagnostics.append(Diagnostic(.misplacedStep, at: document.node["for_each"]?.location ?? document.node.location,
                                                  "'for_each: old_node' visits the nodes an earlier step replaces; put "
                                                  + (providers.map { "'\($0)'" }.joined(separator: " or ")) + " before this block"))
                }
                if inner.isEmpty {
                    diagnostics.append(Diagnostic(.emptySteps, at: document.node["steps"]?.location ?? document.node.location,
                                                  "the for_each block has no steps"))
                }
                var block: [StepInvocation] = []
                for step in inner where !step.isPlaceholder {
                    if step.forEach != nil {
                        diagnostics.append(Diagnostic(.misplacedStep, at: step.node.location, "for_each blocks cannot be nested"))
                    } else if let invocation = invocation(step, perNode: true) {
                        block.append(invocation)
                    }
                }
                steps.append(.forEach(ForEachBlock(selection: selection, name: document.name, steps: block, location: document.node.location)))
            } else if let invocation = invocation(document, perNode: false) {
                steps.append(.invoke(invocation))
                if registry.step(invocation.pluginID)?.descriptor.providesReplacements == true { replacementsPlanned = true }
            }
        }
        return steps
    }

    private mutating func invocation(_ document: StepDocument, perNode: Bool) -> StepInvocation? {
        guard let kindNode = document.kind else {
            let message = document.node.entries == nil
                ? "a step must be a mapping with 'step: <kind>' or 'for_each: old_node', found \(document.node.shapeName)"
                : "a step needs 'step: <kind>' (or 'for_each: old_node' with 'steps:')"
            diagnostics.append(Diagnostic(.missingField, at: document.node.location, message))
            return nil
        }
        guard let kind = kindNode.scalar, !kindNode.isNull else {
            diagnostics.append(Diagnostic(.typeMismatch, at: kindNode.location, "'step' must name a step kind, found \(kindNode.shapeName)"))
            return nil
        }
        guard let plugin = registry.step(kind) else {
            diagnostics.append(Diagnostic(.unknownStep, at: kindNode.location, "unknown step kind '\(kind.forMessage)'"
                                          + (Suggestion.closest(to: kind, among: registry.stepIDs).map { "; did you mean '\($0)'?" }
                                             ?? "; known kinds: \(registry.stepIDs.joined(separator: ", "))")))
            return nil
        }
        let descriptor = plugin.descriptor
        switch (descriptor.scope, perNode) {
        case (.node, false):
            diagnostics.append(Diagnostic(.misplacedStep, at: kindNode.location,
                                          "step '\(kind)' acts on one node; put it inside a 'for_each: old_node' block"))
        case (.cache, true):
            diagnostics.append(Diagnostic(.misplacedStep, at: kindNode.location,
                                          "step '\(kind)' acts on a whole cache; it cannot stand inside a for_each block"))
        default: break
        }
        let withNode = document.with ?? .emptyMapping(at: document.node.location)
        let (substituted, variableProblems) = VariableSubstitution(variables: variables).apply(to: withNode)
        diagnostics.append(contentsOf: variableProblems)
        let (parameters, parameterProblems) = plugin.decode(substituted, "step '\(kind)'")
        diagnostics.append(contentsOf: parameterProblems)
        if let parameters, variableProblems.isEmpty, parameterProblems.isEmpty, let validation {
            for problem in plugin.validate(parameters, validation) {
                diagnostics.append(Diagnostic(problem.code, at: substituted.location(at: problem.path), "step '\(kind)': \(problem.message)"))
            }
        }
        let timeout = document.timeout?.duration ?? descriptor.defaultTimeout
        if timeout <= .zero, let at = document.node["timeout"]?.location {
            diagnostics.append(Diagnostic(.invalidValue, at: at, "timeout must be longer than zero"))
        }
        let retries = document.retries ?? 0
        if let at = document.node["retries"]?.location {
            if !(0...10).contains(retries) {
                diagnostics.append(Diagnostic(.invalidValue, at: at, "retries must be between 0 and 10"))
            } else if retries > 0, !descriptor.isRetryable {
                diagnostics.append(Diagnostic(.invalidValue, at: at, "step '\(kind)' is not safe to retry; remove 'retries'"))
            }
        }
        defer { nextIndex += 1 }
        return StepInvocation(index: nextIndex, pluginID: kind, name: document.name,
                              parameters: parameterProblems.isEmpty ? parameters ?? NoParameters() : NoParameters(),
                              timeout: timeout, retries: retries, location: document.node.location, isPerNode: perNode)
    }
}

/// Stands in for parameters that failed to decode; such a playbook never reaches the planner.
struct NoParameters: Sendable {}

/// Where the parts of a plan were written: in a plan file, or nowhere in particular for a plan
/// held in memory (then a problem points at the step it concerns).
public struct PlanLocator: Sendable {
    let document: ConfigNode?

    /// A plan made in this process: problems point at the playbook's steps.
    public static let inMemory = PlanLocator(document: nil)

    /// A plan read from a file, as `document` composed it.
    public init(document: ConfigNode?) { self.document = document }

    func location(at path: [ConfigPathComponent], otherwise fallback: SourceLocation) -> SourceLocation {
        document?.location(at: path) ?? fallback
    }

    func node(at path: [ConfigPathComponent]) -> ConfigNode? { document?.node(at: path) }
}

extension Plan {
    /// Binds every step to its plugin with its parameters decoded and checked, and checks that
    /// every action names an existing step of the same plugin and what that step needs.
    /// - Parameters:
    ///   - registry: The plugins.
    ///   - locator: Where the plan's parts were written, for the diagnostics.
    /// - Returns: The prepared steps by their index.
    /// - Throws: `DiagnosticsError` with every problem; nothing may run then.
    public func prepare(with registry: PluginRegistry, locator: PlanLocator = .inMemory) throws(DiagnosticsError) -> [Int: PreparedStep] {
        var prepared: [Int: PreparedStep] = [:]
        var problems: [Diagnostic] = []
        for (position, step) in steps.enumerated() {
            let path: [ConfigPathComponent] = ["steps", .index(position)]
            guard prepared[step.index] == nil else {
                problems.append(Diagnostic(.invalidValue, at: locator.location(at: path + ["index"], otherwise: step.location),
                                           "two steps have the index \(step.index)"))
                continue
            }
            guard let plugin = registry.step(step.plugin) else {
                problems.append(Diagnostic(.unknownStep, at: locator.location(at: path + ["step"], otherwise: step.location),
                                           "unknown step kind '\(step.plugin.forMessage)'"
                                           + (Suggestion.closest(to: step.plugin, among: registry.stepIDs).map { "; did you mean '\($0)'?" }
                                              ?? "; known kinds: \(registry.stepIDs.joined(separator: ", "))")))
                continue
            }
            if step.isPerNode != (plugin.descriptor.scope == .node) {
                problems.append(Diagnostic(.misplacedStep, at: locator.location(at: path + ["per_node"], otherwise: step.location),
                                           "step '\(step.plugin)' runs once per \(plugin.descriptor.scope == .node ? "node" : "cache")"))
            }
            if step.retries > 0, !plugin.descriptor.isRetryable {
                problems.append(Diagnostic(.invalidValue, at: locator.location(at: path + ["retries"], otherwise: step.location),
                                           "step '\(step.plugin)' is not safe to retry"))
            }
            let node = locator.node(at: path + ["with"]) ?? step.parameters.configNode(at: step.location)
            let (ready, diagnostics) = plugin.prepare(step, node)
            problems += diagnostics
            if let ready { prepared[step.index] = ready }
        }
        for (cachePosition, cache) in caches.enumerated() {
            guard basis.inventory.cache(cache.cache) != nil else {
                problems.append(Diagnostic(.unknownReference, at: locator.location(at: ["caches", .index(cachePosition), "id"], otherwise: .start(of: playbookPath)),
                                           "cache '\(cache.cache.forMessage)' is not in the fleet the plan was made against"))
                continue
            }
            for action in cache.actions {
                let path: [ConfigPathComponent] = ["caches", .index(cachePosition), "actions", .index(action.index)]
                let at = locator.location(at: path, otherwise: action.stepLocation)
                guard problems.count < 20 else { break }
                guard let step = steps.first(where: { $0.index == action.stepIndex }) else {
                    problems.append(Diagnostic(.unknownReference, at: at, "action '\(action.summary)' names step \(action.stepIndex), which the plan does not have"))
                    continue
                }
                // A step whose plugin is unknown was reported once, not at each of its actions.
                guard registry.step(step.plugin) != nil else { continue }
                guard step.plugin == action.plugin else {
                    problems.append(Diagnostic(.invalidValue, at: at,
                                               "action '\(action.summary)' is a '\(action.plugin)' action of step \(step.index), a '\(step.plugin)' step"))
                    continue
                }
                guard let ready = prepared[step.index] else { continue }
                if let missing = ready.check(action) {
                    problems.append(Diagnostic(.missingField, at: at, "action '\(action.summary)' of step '\(step.plugin)' must name its \(missing.field.rawValue)"))
                }
            }
        }
        guard problems.isEmpty else { throw DiagnosticsError(problems) }
        return prepared
    }
}

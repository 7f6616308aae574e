/// The step plugins and backends a run may use, built from an explicit list and passed in.
public struct PluginRegistry: Sendable {
    /// The step plugins, by id.
    public let steps: [String: AnyStepPlugin]
    /// The backends' descriptions, by id.
    public let backends: [String: BackendDescriptor]

    /// Builds a registry.
    /// - Throws: `RegistryError` when two plugins or two backends share an id.
    public init(steps: [AnyStepPlugin], backends: [BackendDescriptor] = []) throws(RegistryError) {
        var byID: [String: AnyStepPlugin] = [:]
        for plugin in steps {
            guard byID[plugin.id] == nil else { throw RegistryError("two step plugins use the id '\(plugin.id)'") }
            byID[plugin.id] = plugin
        }
        var backendsByID: [String: BackendDescriptor] = [:]
        for backend in backends {
            guard backendsByID[backend.id] == nil else { throw RegistryError("two backends use the id '\(backend.id)'") }
            backendsByID[backend.id] = backend
        }
        self.steps = byID
        self.backends = backendsByID
    }

    /// The step plugin with `id`.
    public func step(_ id: String) -> AnyStepPlugin? { steps[id] }

    /// Step plugin ids, sorted.
    public var stepIDs: [String] { steps.keys.sorted() }
}

/// A registry built from a list that names one id twice.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

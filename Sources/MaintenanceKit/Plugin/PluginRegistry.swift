/// The step plugins and backends a run may use, built from an explicit list and passed in.
public struct PluginRegistry: Sendable {
    /// The step plugins, by id.
    public let steps: [String: AnyStepPlugin]
    /// The backends' factories, by id.
    public let backends: [String: any BackendFactory]

    /// Builds a registry.
    /// - Throws: `RegistryError` when two plugins or two backends share an id.
    public init(steps: [AnyStepPlugin], backends: [any BackendFactory] = []) throws(RegistryError) {
        var byID: [String: AnyStepPlugin] = [:]
        for plugin in steps {
            guard byID[plugin.id] == nil else { throw RegistryError("two step plugins use the id '\(plugin.id)'") }
            byID[plugin.id] = plugin
        }
        var backendsByID: [String: any BackendFactory] = [:]
        for backend in backends {
            let id = backend.descriptor.id
            guard backendsByID[id] == nil else { throw RegistryError("two backends use the id '\(id)'") }
            backendsByID[id] = backend
        }
        self.steps = byID
        self.backends = backendsByID
    }

    /// The step plugin with `id`.
    public func step(_ id: String) -> AnyStepPlugin? { steps[id] }

    /// Step plugin ids, sorted.
    public var stepIDs: [String] { steps.keys.sorted() }

    /// The factory of backend `id`.
    public func backend(_ id: String) -> (any BackendFactory)? { backends[id] }

    /// Backend ids, sorted.
    public var backendIDs: [String] { backends.keys.sorted() }
}

/// A registry built from a list that names one id twice.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import Foundation

/// A playbook with the inventory it runs against, both checked.
public struct LoadedPlaybook: Sendable {
    public var playbook: Playbook
    public var inventory: Inventory
    /// The inventory file used.
    public var inventoryPath: String

    public init(playbook: Playbook, inventory: Inventory, inventoryPath: String) {
        self.playbook = playbook
        self.inventory = inventory
        self.inventoryPath = inventoryPath
    }
}

/// Reads a playbook, resolves its steps against a plugin registry, and checks everything
/// against the inventory, reporting every problem at its `file:line:col` in one pass.
public struct PlaybookLoader: Sendable {
    /// The plugins steps may use.
    public var registry: PluginRegistry

    public init(registry: PluginRegistry) { self.registry = registry }

    /// Loads the playbook at `path` and its inventory.
    /// - Parameters:
    ///   - path: The playbook file.
    ///   - inventoryOverride: An inventory file that replaces the playbook's default.
    /// - Throws: `DiagnosticsError` with every problem in the playbook and the inventory.
    public func load(path: String, inventoryOverride: String? = nil) throws(DiagnosticsError) -> LoadedPlaybook {
        try load(SourceFile(contentsOf: path), inventoryOverride: inventoryOverride)
    }

    /// Loads a playbook from a source already in memory.
    public func load(_ source: SourceFile, inventoryOverride: String? = nil,
                     inventory preloaded: Inventory? = nil) throws(DiagnosticsError) -> LoadedPlaybook {
        let root = try ConfigNode.parse(source)
        if let steps = root["steps"], let count = Self.stepCount(of: steps), count > Self.maximumSteps {
            throw DiagnosticsError([Diagnostic(.documentTooComplex, at: steps.location,
                                               "the playbook has \(count) steps; a playbook may have at most \(Self.maximumSteps)")])
        }
        let (document, problems) = ConfigDecoder.decode(PlaybookDocument.self, from: root, context: "playbook")
        var diagnostics = problems
        guard let document else { throw DiagnosticsError(diagnostics) }

        var inventory = preloaded
        var inventoryPath = inventoryOverride ?? "<inventory>"
        if inventory == nil {
            if let resolved = inventoryOverride ?? document.inventory.map({ Self.resolve($0, relativeTo: source.path) }) {
                inventoryPath = resolved
                do throws(DiagnosticsError) {
                    inventory = try InventoryLoader.load(path: resolved)
                } catch {
                    if inventoryOverride == nil, error.diagnostics.first?.code == .unreadableFile,
                       let at = root["inventory"]?.location {
                        diagnostics.append(Diagnostic(.unreadableFile, at: at, "inventory '\(resolved)': \(error.diagnostics[0].message)"))
                    } else {
                        diagnostics.append(contentsOf: error.diagnostics)
                    }
                }
            } else {
                diagnostics.append(Diagnostic(.missingField, at: source.start,
                                              "no inventory: name one with 'inventory:' in the playbook or pass --inventory"))
            }
        }

        var targets: [CacheSpec] = []
        if let inventory {
            let targetProblems = checkTargets(document.targets ?? Targets(), in: inventory, root: root)
            diagnostics.append(contentsOf: targetProblems)
            targets = inventory.caches.filter((document.targets ?? Targets()).includes)
            if targetProblems.isEmpty, targets.isEmpty, let at = root["targets"]?.location {
                diagnostics.append(Diagnostic(.unknownReference, at: at, "the targets select no cache of the inventory"))
            }
            // Check step references against the whole fleet when the targets themselves are wrong.
            if !targetProblems.isEmpty { targets = inventory.caches }
        }
        let validation = inventory.map { ValidationContext(inventory: $0, targetCaches: targets) }
        var resolver = StepResolver(registry: registry, variables: document.variables ?? [:], validation: validation)
        let steps = resolver.resolve(document.steps, listLocation: root["steps"]?.location ?? source.start)
        diagnostics.append(contentsOf: resolver.diagnostics)
        let faults = (document.faults ?? []).compactMap(\.fault)
        if inventory != nil {
            let stepIDs = steps.flatMap { step -> [String] in
                switch step {
                case let .invoke(invocation): [invocation.pluginID]
                case let .forEach(block): block.steps.map(\.pluginID)
                }
            }
            for fault in faults {
                for problem in FaultSyntax.problems(with: fault, caches: targets, steps: stepIDs) {
                    diagnostics.append(Diagnostic(.unknownReference, at: fault.location ?? source.start, problem))
                }
            }
        }

        guard diagnostics.isEmpty, let inventory else { throw DiagnosticsError(diagnostics) }
        let playbook = Playbook(
            name: document.name, description: document.description, path: source.path,
            inventoryPath: document.inventory.map { Self.resolve($0, relativeTo: source.path) },
            policy: document.policy ?? Policy(), targets: document.targets ?? Targets(),
            variables: document.variables ?? [:], steps: steps, faults: faults,
            maintenanceWindows: MaintenanceSchedule(document.maintenanceWindows ?? inventory.maintenanceWindows ?? []))
        return LoadedPlaybook(playbook: playbook, inventory: inventory, inventoryPath: inventoryPath)
    }

    private func checkTargets(_ targets: Targets, in inventory: Inventory, root: ConfigNode) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        func check(_ values: [String]?, key: String, known: [String], what: String) {
            for (index, value) in (values ?? []).enumerated() where !known.contains(value) {
                problems.append(Diagnostic(.unknownReference, at: root.location(at: ["targets", .key(key), .index(index)]),
                                           "the inventory has no \(what) '\(value.forMessage)'" + Suggestion.didYouMean(value, among: known)))
            }
        }
        check(targets.caches, key: "caches", known: inventory.caches.map(\.id), what: "cache")
        check(targets.resourceGroups, key: "resource_groups", known: inventory.caches.map(\.resourceGroup), what: "resource group")
        check(targets.regions, key: "regions", known: inventory.caches.map(\.region), what: "region")
        return problems
    }

    /// The most steps a playbook may have, `for_each` blocks' steps included: real ones have
    /// tens; far more is a mistake or an attack, and is refused before anything is checked.
    public static let maximumSteps = 10_000

    /// How many entries a step list holds, its blocks' steps included; nil when it is no list.
    static func stepCount(of steps: ConfigNode) -> Int? {
        guard case let .sequence(entries) = steps.kind else { return nil }
        return entries.reduce(entries.count) { count, entry in count + (entry["steps"].flatMap(stepCount) ?? 0) }
    }

    /// `path` as given when absolute, else relative to the directory of `file`.
    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = (file as NSString).deletingLastPathComponent
        return directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
    }
}

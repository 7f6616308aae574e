/// A validated playbook: what to do, to which caches, under which policy.
public struct Playbook: Sendable {
    /// Short name.
    public var name: String
    /// What the maintenance is for.
    public var description: String?
    /// The file it came from.
    public var path: String
    /// The default inventory, resolved relative to the playbook, if it names one.
    public var inventoryPath: String?
    /// Concurrency and failure policy.
    public var policy: Policy
    /// Which caches of the inventory it applies to.
    public var targets: Targets
    /// Variables substituted into step parameters (`${name}`).
    public var variables: [String: String]
    /// The steps in order.
    public var steps: [PlaybookStep]
    /// Faults to inject while it runs (a rehearsal), from its `faults:` list.
    public var faults: [ScheduledFault] = []
    /// When the rollout may work: the playbook's windows, else its inventory's; always when none.
    public var maintenanceWindows = MaintenanceSchedule([])
    /// The start of the playbook file.
    public var location: SourceLocation { .start(of: path) }

    /// Every step invocation, in order, including those inside `for_each` blocks.
    public var invocations: [StepInvocation] {
        steps.flatMap { step -> [StepInvocation] in
            switch step {
            case let .invoke(invocation): [invocation]
            case let .forEach(block): block.steps
            }
        }
    }
}

/// Filters on the inventory's caches; every filter given must match.
public struct Targets: Sendable, Decodable, Hashable, ConfigPlaceholder {
    /// Cache ids; all caches when absent.
    public var caches: [String]?
    /// Resource groups; all when absent.
    public var resourceGroups: [String]?
    /// Regions; all when absent.
    public var regions: [String]?

    public init(caches: [String]? = nil, resourceGroups: [String]? = nil, regions: [String]? = nil) {
        self.caches = caches
        self.resourceGroups = resourceGroups
        self.regions = regions
    }

    enum CodingKeys: String, CodingKey {
        case caches, resourceGroups = "resource_groups", regions
    }

    public static var placeholder: Targets { Targets() }

    /// Whether `cache` is selected.
    public func includes(_ cache: CacheSpec) -> Bool {
        (caches?.contains(cache.id) ?? true)
            && (resourceGroups?.contains(cache.resourceGroup) ?? true)
            && (regions?.contains(cache.region) ?? true)
    }
}

/// One entry of a playbook's step list.
public enum PlaybookStep: Sendable {
    /// A plugin invocation that runs once per cache.
    case invoke(StepInvocation)
    /// A block run for each selected node of a cache, one node at a time.
    case forEach(ForEachBlock)
}

/// Which nodes a `for_each` block visits.
public enum NodeSelection: String, ConfigEnumeration, Codable {
    /// The nodes that an earlier `create_vms` step is replacing.
    case oldNode = "old_node"
    /// Every node the cache had when the rollout started.
    case node
}

/// Steps run for each selected node of a cache, one node at a time.
public struct ForEachBlock: Sendable {
    /// Which nodes.
    public var selection: NodeSelection
    /// Optional display name.
    public var name: String?
    /// The steps for one node.
    public var steps: [StepInvocation]
    /// Where the block was written.
    public var location: SourceLocation
}

/// A step as written: which plugin, with which typed parameters, under which limits.
public struct StepInvocation: Sendable {
    /// Position in the playbook's flattened step list; actions refer to their step by it.
    public var index: Int
    /// The plugin id (`create_vms`).
    public var pluginID: String
    /// Optional display name.
    public var name: String?
    /// The decoded parameters, checked by the plugin.
    public var parameters: any Sendable
    /// Per-action time limit.
    public var timeout: Duration
    /// How many times a failed action is retried (only for plugins that are safe to retry).
    public var retries: Int
    /// Where the step was written.
    public var location: SourceLocation
    /// Whether it sits inside a `for_each` block.
    public var isPerNode: Bool

    /// `create_vms` or `create_vms (Provision replacement VMs)`.
    public var displayName: String { name.map { "\(pluginID) (\($0))" } ?? pluginID }
}

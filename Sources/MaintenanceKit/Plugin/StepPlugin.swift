/// A kind of step a playbook can use (`create_vms`, `migrate_shards`, …).
///
/// A plugin describes itself, checks its typed parameters, expands itself into concrete
/// actions against a projected topology (planning), and performs one action at a time
/// through a ``Backend`` (execution). It knows nothing of any particular backend.
public protocol StepPlugin: Sendable {
    /// The step's typed parameters, decoded from the step's `with:` mapping.
    associatedtype Parameters: Codable & Sendable
    /// What one of its actions acts on, read from the action before anything runs.
    associatedtype Target: ActionTarget

    /// Id, summary, scope, parameters and an example.
    static var descriptor: StepDescriptor { get }

    /// Checks parameters against the inventory beyond what their types ensure.
    /// - Parameters:
    ///   - parameters: The decoded parameters.
    ///   - context: The inventory and the caches the playbook targets.
    /// - Returns: Every problem, each at a path inside `with:`.
    func validate(_ parameters: Parameters, in context: ValidationContext) -> [ParameterProblem]

    /// Expands the step for one cache (and one node, for per-node steps) into actions,
    /// and applies their effect to `context.topology`.
    /// - Throws: `PlanningError` when the step cannot be planned for this cache.
    func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError)

    /// Performs one action this plugin planned.
    /// - Parameters:
    ///   - action: The action (its summary names it in notes and errors).
    ///   - target: What it acts on.
    /// - Throws: whatever the backend throws; the runtime retries when the plugin is retryable.
    func execute(_ action: PlannedAction, target: Target, parameters: Parameters, context: ExecutionContext) async throws
}

extension StepPlugin {
    public func validate(_ parameters: Parameters, in context: ValidationContext) -> [ParameterProblem] { [] }
}

/// Whether a step runs once per cache or once per node inside a `for_each` block.
public enum StepScope: String, Sendable, Codable {
    case cache
    case node
}

/// How a step plugin describes itself to users and to the runtime.
public struct StepDescriptor: Sendable {
    /// The id used in playbooks (`step: create_vms`).
    public var id: String
    /// One sentence on what it does.
    public var summary: String
    /// Per cache or per node.
    public var scope: StepScope
    /// Whether an action that failed may be tried again (the plugin checks before it acts).
    public var isRetryable: Bool
    /// The time limit of one action when the step sets none.
    public var defaultTimeout: Duration
    /// Its parameters, for `maintctl plugins` and `maintctl schema`.
    public var parameters: [ParameterDescriptor]
    /// A step entry using it; it is validated in the tests.
    public var example: String
    /// Whether it plans replacement nodes, which `for_each: old_node` blocks visit.
    public var providesReplacements: Bool
    /// Whether its actions cannot be undone (a rollback is impossible once one ran).
    public var isIrreversible: Bool

    public init(id: String, summary: String, scope: StepScope, isRetryable: Bool, defaultTimeout: Duration,
                parameters: [ParameterDescriptor], example: String, providesReplacements: Bool = false,
                isIrreversible: Bool = false) {
        self.providesReplacements = providesReplacements
        self.isIrreversible = isIrreversible
        self.id = id
        self.summary = summary
        self.scope = scope
        self.isRetryable = isRetryable
        self.defaultTimeout = defaultTimeout
        self.parameters = parameters
        self.example = example
    }
}

/// One parameter of a step: its name, type, whether it must be given, its default and what it
/// does, for `maintctl plugins` and `maintctl schema`.
public struct ParameterDescriptor: Sendable {
    public var name: String
    public var type: ParameterType
    public var isRequired: Bool
    /// What applies when it is not given, in words (`replicas_first`, `the replaced node's`).
    public var defaultValue: String?
    public var summary: String

    public init(_ name: String, type: ParameterType, required: Bool = false, default defaultValue: String? = nil, _ summary: String) {
        self.name = name
        self.type = type
        self.isRequired = required
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// A problem a plugin found in its parameters, at a path inside `with:`.
public struct ParameterProblem: Sendable {
    public var path: [ConfigPathComponent]
    public var code: DiagnosticCode
    public var message: String

    /// A problem with the parameter at `path`.
    public init(at path: [ConfigPathComponent], _ code: DiagnosticCode, _ message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    /// An invalid parameter at `path`.
    public init(at path: [ConfigPathComponent], _ message: String) {
        self.init(at: path, .invalidParameter, message)
    }
}

/// What a plugin may consult while validating its parameters.
public struct ValidationContext: Sendable {
    /// The whole inventory.
    public var inventory: Inventory
    /// The caches the playbook targets.
    public var targetCaches: [CacheSpec]

    public init(inventory: Inventory, targetCaches: [CacheSpec]) {
        self.inventory = inventory
        self.targetCaches = targetCaches
    }
}

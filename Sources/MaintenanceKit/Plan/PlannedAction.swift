/// One concrete thing the runtime will do: which step, which cache, node and shard.
public struct PlannedAction: Sendable, Hashable {
    /// Position in its cache's action list.
    public var index: Int
    /// The cache it acts on.
    public var cache: String
    /// The plugin that performs it.
    public var plugin: String
    /// The playbook step it comes from (its index in the flattened step list).
    public var stepIndex: Int
    /// Where that step was written.
    public var stepLocation: SourceLocation
    /// What it acts on.
    public var subject: ActionSubject
    /// A line for people: `migrate s1 (primary) n1 → n1-7.2.5`.
    public var summary: String
    /// The failover it will cause, if any.
    public var failover: PlannedFailover?
    /// How long the planner expects it to take.
    public var predictedDuration: Duration

    public init(index: Int = 0, cache: String, plugin: String, stepIndex: Int, stepLocation: SourceLocation,
                subject: ActionSubject, summary: String, failover: PlannedFailover? = nil, predictedDuration: Duration) {
        self.index = index
        self.cache = cache
        self.plugin = plugin
        self.stepIndex = stepIndex
        self.stepLocation = stepLocation
        self.subject = subject
        self.summary = summary
        self.failover = failover
        self.predictedDuration = predictedDuration
    }
}

/// The things an action acts on; plugins use the fields they need.
public struct ActionSubject: Sendable, Codable, Hashable {
    /// The node acted on (the old node for per-node steps).
    public var node: String?
    /// The shard acted on.
    public var shard: String?
    /// Where a copy goes.
    public var destination: String?
    /// Several nodes (creation, deletion).
    public var nodes: [NodeSpec]
    /// A version to apply.
    public var version: String?

    public init(node: String? = nil, shard: String? = nil, destination: String? = nil, nodes: [NodeSpec] = [], version: String? = nil) {
        self.node = node
        self.shard = shard
        self.destination = destination
        self.nodes = nodes
        self.version = version
    }
}

/// A field of ``ActionSubject`` a step's actions need.
public enum SubjectField: String, Sendable, Hashable, CaseIterable {
    case node, shard, destination, nodes, version
}

/// An action that does not name what its step needs: a hand-edited plan, never the planner's.
public struct MissingSubjectField: Error, Sendable, CustomStringConvertible {
    public var field: SubjectField
    public var action: String
    public var description: String { "action '\(action)' names no \(field.rawValue)" }
}

extension PlannedAction {
    /// The subject's `field`.
    /// - Throws: `MissingSubjectField` when the action does not name it.
    public func required(_ field: KeyPath<ActionSubject, String?>, _ name: SubjectField) throws(MissingSubjectField) -> String {
        guard let value = subject[keyPath: field] else { throw MissingSubjectField(field: name, action: summary) }
        return value
    }
}

/// A failover the plan expects.
public struct PlannedFailover: Sendable, Codable, Hashable {
    public var shard: String
    public var from: String
    public var to: String
    public var kind: FailoverKind

    public init(shard: String, from: String, to: String, kind: FailoverKind = .planned) {
        self.shard = shard
        self.from = from
        self.to = to
        self.kind = kind
    }
}

/// A step that cannot be planned for a cache, or a plan that would break an invariant.
public struct PlanningError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

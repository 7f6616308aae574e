/// What one action acts on, typed as its plugin needs it. It is read from the action when the
/// plan is prepared; an action that does not name what its step needs makes the plan invalid,
/// before anything runs.
public protocol ActionTarget: Sendable {
    /// Reads the target from `action`.
    /// - Throws: `MissingSubjectField` when the action does not name what it needs.
    init(_ action: PlannedAction) throws(MissingSubjectField)
}

/// One node (drain, remove, restore, make leader).
public struct NodeTarget: ActionTarget {
    public let node: String

    public init(_ action: PlannedAction) throws(MissingSubjectField) {
        node = try action.required(\.node, .node)
    }
}

/// A copy of a shard and the node it goes to (a move, a planned failover).
public struct CopyMove: ActionTarget {
    /// Where the copy is.
    public let node: String
    public let shard: String
    /// Where it goes.
    public let destination: String

    public init(_ action: PlannedAction) throws(MissingSubjectField) {
        node = try action.required(\.node, .node)
        shard = try action.required(\.shard, .shard)
        destination = try action.required(\.destination, .destination)
    }
}

/// VMs to create or delete; at least one.
public struct VMsTarget: ActionTarget {
    public let nodes: [NodeSpec]

    public init(_ action: PlannedAction) throws(MissingSubjectField) {
        guard !action.subject.nodes.isEmpty else { throw MissingSubjectField(field: .nodes, action: action.summary) }
        nodes = action.subject.nodes
    }
}

/// A node to restart, at a new version or at its own.
public struct RestartTarget: ActionTarget {
    public let node: String
    /// The version it runs after the restart; nil keeps its own.
    public let version: String?

    public init(_ action: PlannedAction) throws(MissingSubjectField) {
        node = try action.required(\.node, .node)
        version = action.subject.version
    }
}

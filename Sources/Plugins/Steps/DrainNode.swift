import MaintenanceKit

/// Marks a node draining: nothing new is placed or routed to it.
public struct DrainNode: StepPlugin {
    public struct Parameters: Codable, Sendable {}

    public static let descriptor = StepDescriptor(
        id: "drain_node",
        summary: "Mark the node draining so nothing new is placed on it; its copies move with migrate_shards.",
        scope: .node, isRetryable: true, defaultTimeout: .seconds(5 * 60), parameters: [],
        example: "step: drain_node")

    public init() {}

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        // A node that is not active (draining already, removed) needs no drain.
        guard let node = context.currentNode, let index = context.topology.nodes.firstIndex(where: { $0.id == node }),
              context.topology.nodes[index].lifecycle == .active else { return }
        context.topology.nodes[index].lifecycle = .draining
        context.addAction(ActionSubject(node: node), summary: "drain \(node)", predictedDuration: context.timing.drain)
    }

    public func execute(_ action: PlannedAction, target: NodeTarget, parameters: Parameters, context: ExecutionContext) async throws {
        let node = target.node
        let state = try await context.backend.node(node, in: context.cache)
        guard state?.lifecycle == .active else { return }
        try await context.backend.drainNode(node, in: context.cache)
    }
}

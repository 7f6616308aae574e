import MaintenanceKit

/// Takes an emptied node out of the cluster.
public struct RemoveNode: StepPlugin {
    public struct Parameters: Codable, Sendable {}

    public static let descriptor = StepDescriptor(
        id: "remove_node",
        summary: "Take the node out of the cluster once it holds no shard copy.",
        scope: .node, isRetryable: true, defaultTimeout: .seconds(10 * 60), parameters: [],
        example: "step: remove_node")

    public init() {}

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        guard let node = context.currentNode, let index = context.topology.nodes.firstIndex(where: { $0.id == node }),
              ![.removed, .deleted].contains(context.topology.nodes[index].lifecycle) else { return }
        context.topology.nodes[index].lifecycle = .removed
        context.addAction(ActionSubject(node: node), summary: "remove \(node) from the cluster", predictedDuration: context.timing.nodeRemoval)
    }

    public func execute(_ action: PlannedAction, target: NodeTarget, parameters: Parameters, context: ExecutionContext) async throws {
        let node = target.node
        let state = try await context.backend.node(node, in: context.cache)
        guard let state, state.lifecycle != .removed, state.lifecycle != .deleted else {
            context.note("already removed")
            return
        }
        try await context.backend.removeNode(node, in: context.cache)
    }
}

import MaintenanceKit

/// Brings a drained or removed node back into service: the first move of a rollback.
public struct RestoreNode: StepPlugin {
    public struct Parameters: Codable, Sendable {}

    public static let descriptor = StepDescriptor(
        id: "restore_node",
        summary: "Bring a drained or removed (not deleted) node back into service so copies can move back to it.",
        scope: .node, isRetryable: true, defaultTimeout: .seconds(5 * 60), parameters: [],
        example: "step: restore_node")

    public init() {}

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        guard let node = context.currentNode, let index = context.topology.nodes.firstIndex(where: { $0.id == node }),
              context.topology.nodes[index].lifecycle != .active else { return }
        guard context.topology.nodes[index].lifecycle != .deleted else {
            throw PlanningError("node '\(node)' is deleted and cannot be restored")
        }
        context.topology.nodes[index].lifecycle = .active
        context.addAction(ActionSubject(node: node), summary: "restore \(node) to service", predictedDuration: context.timing.drain)
    }

    public func execute(_ action: PlannedAction, target: NodeTarget, parameters: Parameters, context: ExecutionContext) async throws {
        let node = target.node
        guard try await context.backend.node(node, in: context.cache)?.lifecycle != .active else {
            context.note("already active")
            return
        }
        try await context.backend.restoreNode(node, in: context.cache)
    }
}

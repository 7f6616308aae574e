import MaintenanceKit

/// Deletes the nodes that were replaced.
public struct DeleteVMs: StepPlugin {
    public struct Parameters: Codable, Sendable {}

    public static let descriptor = StepDescriptor(
        id: "delete_vms",
        summary: "Delete the VMs of the replaced nodes; a node that still holds a shard copy is refused.",
        scope: .cache, isRetryable: true, defaultTimeout: .seconds(30 * 60), parameters: [],
        example: "step: delete_vms", isIrreversible: true)

    public init() {}

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        let old = context.replacements.map(\.old)
        guard !old.isEmpty else { return }
        for index in context.topology.nodes.indices where old.contains(context.topology.nodes[index].id) {
            context.topology.nodes[index].lifecycle = .deleted
        }
        let specs = context.cache.nodes.filter { old.contains($0.id) }
        context.addAction(ActionSubject(nodes: specs), summary: "delete \(old.count) VMs: \(old.joined(separator: ", "))",
                          predictedDuration: context.timing.vmDeletion)
    }

    public func execute(_ action: PlannedAction, target: VMsTarget, parameters: Parameters, context: ExecutionContext) async throws {
        let topology = try await context.backend.topology(of: context.cache)
        let remaining = target.nodes.map(\.id).filter { topology.node($0).map { $0.lifecycle != .deleted } ?? false }
        guard !remaining.isEmpty else {
            context.note("already deleted")
            return
        }
        try await context.backend.deleteNodes(remaining, in: context.cache)
    }
}

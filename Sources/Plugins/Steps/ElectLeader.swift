import MaintenanceKit

/// Moves cluster leadership to a new node.
public struct ElectLeader: StepPlugin {
    public struct Parameters: Codable, Sendable {}

    public static let descriptor = StepDescriptor(
        id: "elect_leader",
        summary: "Make a new node the cluster leader: the replacement of the current leader, else the first new node.",
        scope: .cache, isRetryable: true, defaultTimeout: .seconds(5 * 60), parameters: [],
        example: "step: elect_leader")

    public init() {}

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        let current = context.topology.leader
        // A leader that is one of the new nodes already stays.
        if let current, context.replacements.contains(where: { $0.new == current }) { return }
        guard let target = current.flatMap({ context.replacement(for: $0) }) ?? context.replacements.first?.new,
              target != current else { return }
        context.topology.leader = target
        context.addAction(ActionSubject(node: target), summary: "leader \(current ?? "none") → \(target)",
                          predictedDuration: context.timing.leaderElection)
    }

    public func execute(_ action: PlannedAction, target: NodeTarget, parameters: Parameters, context: ExecutionContext) async throws {
        let topology = try await context.backend.topology(of: context.cache)
        guard topology.leader != target.node else {
            context.note("already leader")
            return
        }
        try await context.backend.electLeader(target.node, in: context.cache)
    }
}

import MaintenanceKit

/// Restarts a node that holds no primary, optionally at a new version, and waits for its
/// copies to resync.
public struct RestartNode: StepPlugin {
    public struct Parameters: Codable, Sendable {
        /// Version to run after the restart; unchanged when absent.
        public var version: String?
    }

    public static let descriptor = StepDescriptor(
        id: "restart_node",
        summary: "Restart a node without primaries (optionally at a new version) and wait until its replicas are in sync again.",
        scope: .node, isRetryable: true, defaultTimeout: .seconds(60 * 60),
        parameters: [ParameterDescriptor("version", type: .identifier, default: "unchanged", "version to run after the restart")],
        example: """
            step: restart_node
            with:
              version: "7.2.5"
            """)

    public init() {}

    public func validate(_ parameters: Parameters, in context: ValidationContext) -> [ParameterProblem] {
        guard let version = parameters.version, !InventoryLoader.isIdentifier(version) else { return [] }
        return [ParameterProblem(at: ["version"], "version '\(version.forMessage)' must be letters, digits, '.', '_' or '-'")]
    }

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        guard let node = context.currentNode, let index = context.topology.nodes.firstIndex(where: { $0.id == node }) else { return }
        let primaries = context.topology.shards.filter { $0.primaryNode == node }.map(\.id)
        guard primaries.isEmpty else {
            throw PlanningError("node '\(node)' is still primary for \(primaries.joined(separator: ", ")); "
                                + "put failover_primaries before restart_node")
        }
        if let version = parameters.version { context.topology.nodes[index].version = version }
        let largest = context.topology.shards(on: node).map(\.sizeMB).max() ?? 0
        let version = parameters.version.map { " at \($0)" } ?? ""
        context.addAction(ActionSubject(node: node, version: parameters.version), summary: "restart \(node)\(version)",
                          predictedDuration: context.timing.restart + context.timing.sync(megabytes: largest))
    }

    public func execute(_ action: PlannedAction, target: RestartTarget, parameters: Parameters, context: ExecutionContext) async throws {
        let node = target.node
        let topology = try await context.backend.topology(of: context.cache)
        if let version = target.version, topology.node(node)?.version == version {
            context.note("already at \(version)")
            return
        }
        let primaries = topology.shards.filter { $0.primaryNode == node }.map(\.id)
        guard primaries.isEmpty else {
            throw BackendError(.nodeHoldsPrimary, "refusing to restart \(node): it is primary for \(primaries.joined(separator: ", "))")
        }
        try await context.backend.restartNode(node, version: target.version, in: context.cache)
    }
}

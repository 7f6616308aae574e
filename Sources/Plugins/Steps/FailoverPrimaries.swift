import MaintenanceKit

/// Moves every primary off a node with planned failovers to in-sync replicas on other nodes.
public struct FailoverPrimaries: StepPlugin {
    public struct Parameters: Codable, Sendable {}

    public static let descriptor = StepDescriptor(
        id: "failover_primaries",
        summary: "Fail each primary on the node over to an in-sync replica elsewhere (planned), one shard at a time.",
        scope: .node, isRetryable: true, defaultTimeout: .seconds(10 * 60), parameters: [],
        example: "step: failover_primaries")

    public init() {}

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        guard let node = context.currentNode else { return }
        for shard in context.topology.shards where shard.primaryNode == node {
            guard let index = context.topology.shards.firstIndex(where: { $0.id == shard.id }) else { continue }
            let candidates = shard.copies.filter { copy in
                copy.role == .replica && copy.inSync && context.topology.node(copy.node)?.lifecycle == .active
            }
            // The replica whose node carries the least CPU takes the primary.
            guard let target = candidates.min(by: {
                context.load.load(of: $0.node, in: context.topology).cpus < context.load.load(of: $1.node, in: context.topology).cpus
            })?.node else {
                throw PlanningError("shard '\(shard.id)' has no in-sync replica on another active node to fail over to")
            }
            for copyIndex in context.topology.shards[index].copies.indices {
                let copyNode = context.topology.shards[index].copies[copyIndex].node
                context.topology.shards[index].copies[copyIndex].role = copyNode == target ? .primary : .replica
            }
            context.checkHeadroom(during: "after failing \(shard.id) over to \(target)", extra: [target: NodeLoad()])
            context.addAction(ActionSubject(node: node, shard: shard.id, destination: target),
                              summary: "fail \(shard.id) over \(node) → \(target)",
                              failover: PlannedFailover(shard: shard.id, from: node, to: target),
                              predictedDuration: context.timing.plannedFailover)
        }
    }

    public func execute(_ action: PlannedAction, target: CopyMove, parameters: Parameters, context: ExecutionContext) async throws {
        let node = target.node, shardID = target.shard, destination = target.destination
        guard try await context.backend.shard(shardID, in: context.cache)?.primaryNode == node else {
            context.note("\(node) is no longer primary")
            return
        }
        let report = try await context.backend.failover(shardID, to: destination, in: context.cache)
        context.record(report)
        guard try await context.backend.shard(shardID, in: context.cache)?.primaryNode == destination else {
            throw BackendError(.failoverNotApplied, "failover of \(shardID) to \(destination) was reported done but roles did not flip")
        }
        context.note("planned failover, write gap \(report.unavailable.milliseconds)ms")
    }
}

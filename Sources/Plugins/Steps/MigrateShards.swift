import Foundation
import MaintenanceKit

/// Moves every shard copy off a node to its replacement, one shard at a time: start a new
/// copy, full sync, planned failover if the old copy was primary, then drop the old copy.
///
/// With `strategy: break_before_make`, an old replica copy is dropped as soon as its new copy
/// is attached, before the new copy has synced: the old node's memory is freed early, but the
/// shard runs on its primary alone until the sync ends, so one failure in that window loses
/// it (`maintctl verify` shows the schedule). Primaries always move make-before-break.
///
/// With `parallel_syncs: N`, each move also attaches the copies of the node's next N - 1 moves,
/// so that their full syncs run beside its own (as Elasticsearch's concurrent recoveries per
/// node); failovers and removals still go one at a time, in order. The plan checks headroom
/// with those syncs together: each source's fork and buffer, and the destination's CPU and the
/// memory of the copies it holds early.
public struct MigrateShards: StepPlugin {
    /// Which copies move first.
    public enum Order: String, ConfigEnumeration {
        /// Replicas first, so primaries move last and clients see their failovers late.
        case replicasFirst = "replicas_first"
        /// Primaries first.
        case primariesFirst = "primaries_first"
        /// In inventory order.
        case inventory
    }

    /// When the old copy of a replica goes.
    public enum Strategy: String, ConfigEnumeration {
        /// After the new copy holds every write (safe against one failure).
        case makeBeforeBreak = "make_before_break"
        /// As soon as the new copy is attached, before it has synced.
        case breakBeforeMake = "break_before_make"
    }

    public struct Parameters: Codable, Sendable {
        public var order: Order?
        public var strategy: Strategy?
        /// How many of the node's copies sync at once (1, the default: one after the other).
        public var parallelSyncs: Int?

        enum CodingKeys: String, CodingKey {
            case order, strategy, parallelSyncs = "parallel_syncs"
        }
    }

    /// What `parallel_syncs` may be.
    static let parallelSyncsRange = 1...16

    public static let descriptor = StepDescriptor(
        id: "migrate_shards",
        summary: "Move each shard copy of the node to its replacement: new copy, full sync, planned failover for primaries, drop the old copy.",
        scope: .node, isRetryable: true, defaultTimeout: .seconds(60 * 60),
        parameters: [
            ParameterDescriptor("order", type: .enumeration(of: Order.self), default: Order.replicasFirst.rawValue, "which copies move first"),
            ParameterDescriptor("strategy", type: .enumeration(of: Strategy.self), default: Strategy.makeBeforeBreak.rawValue,
                                "whether an old replica copy is dropped only after its new copy has synced"),
            ParameterDescriptor("parallel_syncs", type: .integer(parallelSyncsRange), default: "1",
                                "how many of the node's copies sync at once; failovers and removals still go one at a time"),
        ],
        example: """
            step: migrate_shards
            with:
              order: replicas_first
            """)

    public init() {}

    public func validate(_ parameters: Parameters, in context: ValidationContext) -> [ParameterProblem] {
        guard let parallel = parameters.parallelSyncs, !Self.parallelSyncsRange.contains(parallel) else { return [] }
        let range = Self.parallelSyncsRange
        return [ParameterProblem(at: ["parallel_syncs"],
                                 "parallel_syncs must be between \(range.lowerBound) and \(range.upperBound) (copies of a node syncing at once), not \(parallel)")]
    }

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        guard let node = context.currentNode else { return }
        guard let destination = context.replacement(for: node) else {
            throw PlanningError("node '\(node)' has no replacement; put a create_vms step before the for_each block")
        }
        var shards = context.topology.shards(on: node)
        let isPrimary = { (shard: ShardState) in shard.primaryNode == node }
        switch parameters.order ?? .replicasFirst {
        case .replicasFirst: shards = shards.filter { !isPrimary($0) } + shards.filter(isPrimary)
        case .primariesFirst: shards = shards.filter(isPrimary) + shards.filter { !isPrimary($0) }
        case .inventory: break
        }
        let early = parameters.strategy == .breakBeforeMake
        let beside = (parameters.parallelSyncs ?? 1) - 1
        for (index, shard) in shards.enumerated() {
            try planMove(shard, from: node, to: destination, primary: isPrimary(shard), dropEarly: early && !isPrimary(shard),
                         syncingBeside: Array(shards[(index + 1)...].prefix(beside)), in: &context)
        }
    }

    /// Plans one copy's move; `beside` are the later moves whose copies sync during its own.
    private func planMove(_ shard: ShardState, from node: String, to destination: String, primary: Bool, dropEarly: Bool,
                          syncingBeside beside: [ShardState], in context: inout PlanningContext) throws(PlanningError) {
        guard let index = context.topology.shards.firstIndex(where: { $0.id == shard.id }) else { return }
        let source = shard.primaryNode ?? node
        let overhead = context.load.syncOverhead(sizeMB: shard.sizeMB)
        // A copy already on the destination (a move cut short before its old copy was dropped)
        // is reused, as the action does.
        if !shard.hasCopy(on: destination) {
            context.topology.shards[index].copies.append(ShardCopy(node: destination, role: .replica))
        }
        // A destination that holds the shard's primary (a copy there already, as in a rollback of
        // copies started ahead of their moves) syncs nothing.
        // The copies syncing beside this move, from its start to the next move's: each sync on
        // both ends, and each copy on the destination before its own move.
        var besideLoad: [String: NodeLoad] = [:]
        for other in beside where !other.hasCopy(on: destination) {
            let syncing = context.load.syncOverhead(sizeMB: other.sizeMB)
            let from = other.primaryNode ?? node
            besideLoad[from] = besideLoad[from, default: NodeLoad()] + syncing.source
            besideLoad[destination] = besideLoad[destination, default: NodeLoad()] + syncing.destination
                + NodeLoad(memoryMB: other.sizeMB, cpus: context.load.replicaCPU)
        }
        let own: [String: NodeLoad] = source == destination ? [:] : [source: overhead.source, destination: overhead.destination]
        let moment = besideLoad.isEmpty ? "syncing \(shard.id) to \(destination)"
            : "syncing \(([shard] + beside).map(\.id).joined(separator: ", ")) to \(destination) at once"
        context.checkHeadroom(during: moment, extra: own.merging(besideLoad, uniquingKeysWith: +))
        var failover: PlannedFailover?
        if primary {
            failover = PlannedFailover(shard: shard.id, from: node, to: destination)
            for copyIndex in context.topology.shards[index].copies.indices {
                let copyNode = context.topology.shards[index].copies[copyIndex].node
                context.topology.shards[index].copies[copyIndex].role = copyNode == destination ? .primary : .replica
            }
        }
        context.topology.shards[index].copies.removeAll { $0.node == node }
        context.checkHeadroom(during: "after moving \(shard.id) to \(destination)", extra: besideLoad.merging([destination: NodeLoad()]) { load, _ in load })
        let role = primary ? "primary" : dropEarly ? "replica, old copy dropped before the sync" : "replica"
        let predicted = context.timing.sync(megabytes: shard.sizeMB) + (primary ? context.timing.plannedFailover : .zero)
            + context.timing.copyRemoval
        context.addAction(ActionSubject(node: node, shard: shard.id, destination: destination),
                          summary: "move \(shard.id) (\(role), \(Int(shard.sizeMB)) MB) \(node) → \(destination)",
                          failover: failover, predictedDuration: predicted)
    }

    public func execute(_ action: PlannedAction, target: CopyMove, parameters: Parameters, context: ExecutionContext) async throws {
        let node = target.node, shardID = target.shard, destination = target.destination
        let backend = context.backend
        guard let shard = try await backend.shard(shardID, in: context.cache) else {
            throw BackendError(.unknownShard, "cache '\(context.cache)' has no shard '\(shardID)'")
        }
        guard shard.hasCopy(on: node) || !shard.hasCopy(on: destination) else {
            context.note("already moved")
            return
        }
        // Every copy of the node still to move (the plan's next moves of this node) starts on
        // the destination now, this one too, unless started already (by the node before, below):
        // their start-ups overlap, and each later move attaches its own.
        let later = context.upcoming.prefix {
            $0.stepIndex == action.stepIndex && $0.subject.node == node && $0.subject.destination == destination
        }
        await backend.prepareCopies(of: [shardID] + later.compactMap(\.subject.shard), on: destination, in: context.cache)
        // Idempotent: reuses a live copy already there, replaces one that died.
        try await backend.addReplica(of: shardID, on: destination, in: context.cache)
        // With parallel_syncs, the copies of the node's next moves begin their syncs now, beside
        // this one (the plan checked headroom for them together); each move still waits for its
        // own. One that cannot start now is started by its own move.
        for shard in later.prefix((parameters.parallelSyncs ?? 1) - 1).compactMap(\.subject.shard) {
            do {
                try await backend.addReplica(of: shard, on: destination, in: context.cache)
                context.note("\(shard) began its sync beside this move")
            } catch {
                context.note("the copy of \(shard) did not begin its sync beside this one: \(error)")
            }
        }
        if parameters.strategy == .breakBeforeMake, let primary = try await backend.shard(shardID, in: context.cache)?.primaryNode, primary != node {
            try await backend.removeCopy(of: shardID, from: node, in: context.cache)
            context.note("old copy dropped before the sync")
        }
        // Copies of the next node's moves start during this node's replica moves, a few each,
        // while the move syncs and drops its old copy: the next node's first move then finds
        // them introduced to the cluster long ago. (During a node's last move too, if it has no
        // replica moves, but no server starts during a failover's write pause.)
        let ahead = action.failover == nil || later.isEmpty
            ? Self.nextNodesCopiesDue(in: context.upcoming.dropFirst(later.count), step: action.stepIndex, after: node,
                                      movesLeft: later.count { $0.failover == nil })
            : nil
        async let startedAhead: Void = Self.start(ahead, on: backend, in: context.cache)
        // Whatever happens to this move, the copies started ahead finish starting (and are
        // recorded) rather than be cut short.
        do {
            let sync = try await backend.waitForSync(of: shardID, on: destination, in: context.cache)
            context.record(sync)
            context.note("synced \(String(format: "%.1f", sync.megabytes)) MB in \(sync.duration.humanReadable)")
            // A shard whose primary does not answer now (stalled, or failing over) cannot be
            // judged: the attempt fails and a retry looks again, rather than drop a copy blind.
            guard let current = try await backend.shard(shardID, in: context.cache)?.primaryNode else {
                throw BackendError(.noPrimary, "shard '\(shardID)' of '\(context.cache)' has no single primary answering; try again")
            }
            if current == node {
                await startedAhead
                let report = try await backend.failover(shardID, to: destination, in: context.cache)
                context.record(report)
                let after = try await backend.shard(shardID, in: context.cache)
                guard after?.primaryNode == destination else {
                    throw BackendError(.failoverNotApplied,
                                       "failover of \(shardID) to \(destination) was reported done but \(after?.primaryNode ?? "no node") is primary")
                }
                context.note("planned failover, write gap \(report.unavailable.milliseconds)ms")
            }
            try await backend.removeCopy(of: shardID, from: node, in: context.cache)
        } catch {
            await startedAhead
            throw error
        }
        await startedAhead
    }

    /// Starts `copies` ahead of their moves (nil: none).
    private static func start(_ copies: (destination: String, shards: [String])?, on backend: any Backend, in cache: String) async {
        guard let copies else { return }
        await backend.prepareCopies(of: copies.shards, on: copies.destination, in: cache)
    }

    /// The copies of the first node whose copies this step moves, among `upcoming` actions;
    /// nil when no move is planned.
    static func firstNodesCopies(in upcoming: ArraySlice<PlannedAction>) -> (destination: String, shards: [String])? {
        guard let first = upcoming.firstIndex(where: { $0.plugin == descriptor.id && $0.subject.destination != nil }) else { return nil }
        return copies(movedFrom: first, in: upcoming)
    }

    /// The copies of the next node's moves (this step's next actions, for another node) due to
    /// start by the end of this node's move with `movesLeft` moves after it that start copies:
    /// all but one for each of those moves, so that every such move starts about one (when
    /// the nodes hold as many copies each) and the last leaves none. Spread, so that no move
    /// starts a burst of servers (each start and handshake takes CPU that the shards' servers
    /// share); nil when none is due.
    static func nextNodesCopiesDue(in upcoming: ArraySlice<PlannedAction>, step: Int, after node: String,
                                   movesLeft: Int) -> (destination: String, shards: [String])? {
        guard let first = upcoming.firstIndex(where: { $0.stepIndex == step && $0.subject.node != node && $0.subject.destination != nil }),
              let copies = copies(movedFrom: first, in: upcoming) else { return nil }
        let due = copies.shards.count - movesLeft
        return due > 0 ? (copies.destination, Array(copies.shards.prefix(due))) : nil
    }

    /// The shards that the move at `first` of `upcoming` and the moves right after it of the
    /// same step, node and destination bring to that destination.
    private static func copies(movedFrom first: Int, in upcoming: ArraySlice<PlannedAction>) -> (destination: String, shards: [String])? {
        let move = upcoming[first]
        guard let node = move.subject.node, let destination = move.subject.destination else { return nil }
        let shards = upcoming[first...].prefix {
            $0.stepIndex == move.stepIndex && $0.subject.node == node && $0.subject.destination == destination
        }.compactMap(\.subject.shard)
        return (destination, shards)
    }
}

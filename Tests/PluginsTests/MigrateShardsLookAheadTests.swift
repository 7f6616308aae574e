import MaintenanceKit
@testable import Plugins
import Testing

/// Which of the next node's copies a move of `migrate_shards` starts ahead: spread over the
/// current node's moves, all of them by its last, none of a later node.
@Suite struct MigrateShardsLookAheadTests {
    static let location = SourceLocation(file: "rolling-patch.yaml", line: 1, column: 1)

    static func action(_ step: Int, _ node: String, _ shard: String? = nil, to destination: String? = nil) -> PlannedAction {
        PlannedAction(cache: "c", plugin: step == 3 ? "migrate_shards" : "other", stepIndex: step, stepLocation: location,
                      subject: ActionSubject(node: node, shard: shard, destination: destination), summary: "", predictedDuration: .zero)
    }

    /// n1's two moves, its removal, n2's drain, n2's three moves, n3's one move, a last step.
    static let plan: [PlannedAction] = [
        action(3, "n1", "s1", to: "m1"), action(3, "n1", "s2", to: "m1"), action(4, "n1"), action(2, "n2"),
        action(3, "n2", "s2", to: "m2"), action(3, "n2", "s3", to: "m2"), action(3, "n2", "s4", to: "m2"),
        action(3, "n3", "s3", to: "m3"), action(5, "n3"),
    ]

    /// What the move at `index` of `plan` (with `movesLeft` moves of its node after it) starts ahead.
    static func due(at index: Int, movesLeft: Int) -> (destination: String, shards: [String])? {
        let node = plan[index].subject.node!
        return MigrateShards.nextNodesCopiesDue(in: plan[(index + 1)...].dropFirst(movesLeft), step: 3, after: node, movesLeft: movesLeft)
    }

    @Test func theNextNodesCopiesStartSpreadOverTheMovesAndAllByTheLast() {
        // n1 has two moves, n2 three copies: two with n1's first move (one left for its last), all three with its last.
        #expect(Self.due(at: 0, movesLeft: 1).map { [$0.destination] + $0.shards } == ["m2", "s2", "s3"])
        #expect(Self.due(at: 1, movesLeft: 0).map { [$0.destination] + $0.shards } == ["m2", "s2", "s3", "s4"])
        // n2 has three moves, n3 one copy: only with n2's last.
        #expect(Self.due(at: 4, movesLeft: 2) == nil)
        #expect(Self.due(at: 5, movesLeft: 1) == nil)
        #expect(Self.due(at: 6, movesLeft: 0).map { [$0.destination] + $0.shards } == ["m3", "s3"])
        // The last node's moves have no next node.
        #expect(Self.due(at: 7, movesLeft: 0) == nil)
    }

    @Test func theFirstNodesCopiesAreAllOfItsMovesFromWhereverTheyCome() {
        // From create_vms (two actions before): n1's two moves, not n2's.
        let upcoming = [Self.action(1, "n0"), Self.action(2, "n1")] + Self.plan
        #expect(MigrateShards.firstNodesCopies(in: upcoming[...]).map { [$0.destination] + $0.shards } == ["m1", "s1", "s2"])
        // No move ahead: nothing to start.
        #expect(MigrateShards.firstNodesCopies(in: Self.plan[8...]) == nil)
    }
}

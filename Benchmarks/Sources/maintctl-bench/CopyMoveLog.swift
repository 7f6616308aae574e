import MaintenanceKit
import Synchronization

/// The `migrate_shards` actions of a rollout as they finished: how long each took and how
/// much of it was its full sync and its failover's write pause.
final class CopyMoveLog: Sendable {
    /// One finished copy move.
    struct Move: Sendable {
        var shard: String
        var took: Duration
        var sync: Duration
        /// The backend-reported write pause of its failover; zero for a replica's move.
        var gap: Duration
        var isPrimary: Bool

        /// What orchestration added: the move's time minus its sync and its write pause.
        var overhead: Duration { took - sync - gap }
    }

    private let moves = Mutex<[Move]>([])

    /// Adds a finished `migrate_shards` action; other actions are ignored.
    func add(_ action: PlannedAction, took: Duration, result: ActionResult) {
        guard action.plugin == "migrate_shards" else { return }
        let move = Move(shard: action.subject.shard ?? "?", took: took,
                        sync: result.syncs.reduce(.zero) { $0 + $1.duration },
                        gap: result.failovers.reduce(.zero) { $0 + $1.unavailable },
                        isPrimary: action.failover != nil)
        moves.withLock { $0.append(move) }
    }

    /// Everything added so far, in order.
    var all: [Move] { moves.withLock { $0 } }
}

import MaintenanceKit

/// Records how long each action of a rollout took, by step (`migrate_shards` split into
/// replica moves and primary moves, which include a failover), and counts failed attempts.
struct ActionTimingReporter: RolloutReporter {
    /// Where the durations go, under `step <plugin>` names.
    let ledger: DurationLedger
    /// Where each copy move's time goes.
    let moves: CopyMoveLog

    func report(_ event: RolloutEvent) {
        switch event {
        case let .actionFinished(action, _, took, _, result):
            ledger.add(Self.name(of: action), took)
            moves.add(action, took: took, result: result)
        case let .actionFailed(action, _, _, _, _):
            ledger.add("failed attempt of " + Self.name(of: action), .zero)
        default:
            break
        }
    }

    /// `step migrate_shards (primary move)`, `step create_vms`, ….
    static func name(of action: PlannedAction) -> String {
        guard action.plugin == "migrate_shards" else { return "step " + action.plugin }
        return "step migrate_shards (" + (action.failover == nil ? "replica" : "primary") + " move)"
    }
}

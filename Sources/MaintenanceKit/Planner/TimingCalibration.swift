/// A backend's timing model corrected by what earlier runs on that backend took: per kind of
/// step, the median duration of the actions that finished; for full syncs, the megabytes moved
/// per second; for planned failovers, the median write gap. A kind no earlier run did keeps the
/// backend's own figure.
public struct TimingCalibration: Sendable {
    /// One finished action of an earlier run.
    public struct Sample: Sendable {
        public var step: String
        public var duration: Duration
        public var syncs: [SyncReport]
        public var failovers: [FailoverReport]

        public init(step: String, duration: Duration, syncs: [SyncReport], failovers: [FailoverReport]) {
            self.step = step
            self.duration = duration
            self.syncs = syncs
            self.failovers = failovers
        }
    }

    /// The model predictions use.
    public var model: TimingModel
    /// What the model is based on, for `plan` to say.
    public var basis: String

    /// - Parameters:
    ///   - backend: The backend's id.
    ///   - model: Its own timing model (measured on it).
    ///   - samples: Finished actions of earlier runs on it.
    ///   - runs: How many runs the samples come from.
    public init(backend: String, model: TimingModel, samples: [Sample], runs: Int) {
        var refined = model
        func median(_ step: String) -> Duration? {
            let durations = samples.filter { $0.step == step }.map(\.duration).sorted()
            return durations.isEmpty ? nil : durations[durations.count / 2]
        }
        refined.vmCreation = median("create_vms") ?? model.vmCreation
        refined.leaderElection = median("elect_leader") ?? model.leaderElection
        refined.drain = median("drain_node") ?? model.drain
        refined.nodeRemoval = median("remove_node") ?? model.nodeRemoval
        refined.vmDeletion = median("delete_vms") ?? model.vmDeletion
        // A restart is predicted as the restart plus its resync: calibrated without the resync.
        let restarts = samples.filter { $0.step == "restart_node" }
            .map { $0.duration - $0.syncs.reduce(.zero) { $0 + $1.duration } }.sorted()
        refined.restart = restarts.isEmpty ? model.restart : max(.zero, restarts[restarts.count / 2])
        let syncs = samples.flatMap(\.syncs)
        let megabytes = syncs.reduce(0) { $0 + $1.megabytes }
        let seconds = syncs.reduce(0) { $0 + $1.duration.seconds }
        if megabytes > 0, seconds > 0 { refined.syncMegabytesPerSecond = megabytes / seconds }
        let gaps = samples.flatMap(\.failovers).filter { $0.kind == .planned }.map(\.unavailable).sorted()
        if !gaps.isEmpty { refined.plannedFailover = gaps[gaps.count / 2] }
        // What a copy move costs beyond its sync and failover: starting the copy, dropping the old one.
        let moves = samples.filter { $0.step == "migrate_shards" }.map { sample in
            sample.duration - sample.syncs.reduce(.zero) { $0 + $1.duration }
                - sample.failovers.filter { $0.kind == .planned }.reduce(.zero) { $0 + $1.unavailable }
        }.sorted()
        if !moves.isEmpty {
            let overhead = max(.zero, moves[moves.count / 2])
            refined.copyStart = overhead / 2
            refined.copyRemoval = overhead / 2
        }
        self.model = refined
        basis = samples.isEmpty
            ? "the \(backend) backend's timing model"
            : "the \(backend) backend's timing model, refined by \(samples.count) actions of \(runs) earlier run\(runs == 1 ? "" : "s") on it"
    }
}

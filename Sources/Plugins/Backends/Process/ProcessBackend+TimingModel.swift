import MaintenanceKit

extension ProcessBackend {
    /// How long things take on local `redis-server` processes, measured: the medians of each
    /// kind of action of `maintctl run Playbooks/rolling-patch.yaml` (and `rolling-restart.yaml`
    /// for restarts) `--backend process --events FILE` on local-cluster.yaml holding 300,000
    /// keys of 200 bytes (131 MB), release build, 2-core AMD EPYC, 2026-12-01. A node starts in a
    /// tenth of a second where a cloud VM takes minutes; full syncs moved 105 MB/s; a copy move
    /// costs about 260 ms beyond its sync (mostly the new copy's cluster handshake). Earlier runs
    /// on the backend refine it (``TimingCalibration``).
    public static var timingModel: TimingModel {
        var model = TimingModel()
        model.vmCreation = .milliseconds(120)
        model.leaderElection = .milliseconds(10)
        model.drain = .milliseconds(5)
        model.syncMegabytesPerSecond = 105
        model.copyStart = .milliseconds(130)
        model.plannedFailover = .milliseconds(7)
        model.copyRemoval = .milliseconds(130)
        model.nodeRemoval = .milliseconds(12)
        model.vmDeletion = .milliseconds(125)
        model.restart = .milliseconds(310)
        return model
    }
}

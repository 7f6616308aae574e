import MaintenanceKit

extension ContainerBackend {
    /// How long things take in containers (one per node, host networking), measured: the medians
    /// of each kind of action of `maintctl run Playbooks/rolling-patch.yaml --backend container
    /// --events FILE` on local-cluster.yaml holding 300,000 keys of 200 bytes (131 MB), release
    /// build, 2-core AMD EPYC, 2026-12-01: a node's container starts in 0.4 s. A restart was not
    /// measured on containers: 0.5 s is an estimate (the process backend restarts in 0.31 s).
    /// Earlier runs on the backend refine it (``TimingCalibration``).
    static var timingModel: TimingModel {
        var model = TimingModel()
        model.vmCreation = .milliseconds(420)
        model.leaderElection = .milliseconds(11)
        model.drain = .milliseconds(5)
        model.syncMegabytesPerSecond = 105
        model.copyStart = .milliseconds(155)
        model.plannedFailover = .milliseconds(8)
        model.copyRemoval = .milliseconds(155)
        model.nodeRemoval = .milliseconds(10)
        model.vmDeletion = .milliseconds(205)
        model.restart = .milliseconds(500)
        return model
    }
}

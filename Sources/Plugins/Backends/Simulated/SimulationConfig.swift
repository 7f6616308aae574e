import MaintenanceKit

/// How the simulated world behaves: timings (seed-document defaults), how much they vary,
/// the load model, and the seed that makes a run reproducible.
public struct SimulationConfig: Sendable {
    /// Typical durations.
    public var timing = TimingModel()
    /// Each sampled duration varies uniformly by ± this share of its typical value.
    public var jitter: Double = 0.2
    /// Load on nodes, checked against capacity after every event (invariant 8).
    public var load = LoadModel()
    /// How the modelled failure detector tells a dead node from a slow one.
    public var detection = FailureDetection()
    /// Seeds every random choice; the same seed gives the same run.
    public var seed: UInt64 = 1

    public init(seed: UInt64 = 1) { self.seed = seed }
}

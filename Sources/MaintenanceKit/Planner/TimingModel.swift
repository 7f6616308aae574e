/// How long things take, for predictions and for the simulation. Defaults follow the seed
/// document: planned failover under a second, unplanned 10–15 s, sync time following data size.
public struct TimingModel: Sendable, Codable, Hashable {
    public var vmCreation: Duration = .seconds(180)
    public var leaderElection: Duration = .seconds(2)
    public var drain: Duration = .seconds(1)
    /// Full-sync throughput from a primary to a new replica.
    public var syncMegabytesPerSecond: Double = 200
    /// Starting a new copy process before the sync begins.
    public var copyStart: Duration = .seconds(1)
    /// Planned failover: the client write gap of one shard.
    public var plannedFailover: Duration = .milliseconds(450)
    /// Unplanned failover: promoting a replica once its primary was declared down.
    public var promotion: Duration = .milliseconds(100)
    public var copyRemoval: Duration = .milliseconds(500)
    public var nodeRemoval: Duration = .seconds(5)
    public var vmDeletion: Duration = .seconds(60)
    public var restart: Duration = .seconds(45)

    public init() {}

    /// Time to fully sync `megabytes` to a new copy.
    public func sync(megabytes: Double) -> Duration {
        copyStart + .milliseconds(Int64((megabytes / syncMegabytesPerSecond * 1000).rounded()))
    }
}

import ClusterProbe
import MaintenanceKit
import ProcessBackend

/// A client probe writing through a live cluster while something else happens.
enum ProbeSession {
    /// Runs `work` while a probe writes to every shard of `cluster`, then reads every
    /// acknowledged write back.
    static func measure<T: Sendable>(_ cluster: ProcessBackend, writesPerSecond: Int,
                                     during work: @Sendable () async -> T) async throws -> (T, ClientImpact) {
        let probe = try ClusterProbe(shards: await cluster.shardSlots(), seedPorts: await cluster.serverPorts(),
                                     writesPerSecond: writesPerSecond)
        return await probe.measure(during: work, currentPorts: { await cluster.serverPorts() })
    }
}

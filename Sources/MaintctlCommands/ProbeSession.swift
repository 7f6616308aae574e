import ClusterProbe
import MaintenanceKit
import RedisWire

/// A client probe writing through a live cluster while something else happens.
enum ProbeSession {
    /// Runs `work` while a probe writes to every shard of `cluster`, then reads every
    /// acknowledged write back.
    /// - Parameter reloading: Whether another process changes the cluster, so its state file
    ///   is read again to find the servers afterwards.
    /// - Parameter confirmingReplicas: Replicas that must confirm a write (`WAIT`) before it counts.
    static func measure<T: Sendable>(_ cluster: any ClientReachable, writesPerSecond: Int, confirmingReplicas: Int = 0, reloading: Bool = false,
                                     during work: @Sendable () async -> T) async throws -> (T, ClientImpact) {
        let tls = try await cluster.clientTLS().map { files in
            try RedisTLS(caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile)
        }
        let probe = try ClusterProbe(shards: await cluster.shardSlots(), seeds: await servers(of: cluster),
                                     writesPerSecond: writesPerSecond, confirmingReplicas: confirmingReplicas,
                                     password: await cluster.clientPassword(), tls: tls)
        return await probe.measure(during: work, currentServers: {
            if reloading { try? await cluster.reloadState() }
            return await servers(of: cluster)
        })
    }

    private static func servers(of cluster: any ClientReachable) async -> [ServerAddress] {
        await cluster.serverAddresses().map { ServerAddress(host: $0.host, port: $0.port) }
    }
}

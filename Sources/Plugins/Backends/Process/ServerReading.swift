import RedisWire

/// What one server of a cache says of itself, read once for `topology` and `status` alike.
struct ServerReading: Sendable {
    /// Its `INFO replication`; nil when it does not answer.
    var replication: ReplicationInfo?
    /// A primary that owns slots in its own view (a new copy is a primary without slots until
    /// it is attached).
    var serving: Bool
    /// It reports `cluster_state:ok`: a server that sees slots unserved cannot be relied on.
    var clusterOK: Bool

    /// In sync: it sees the cluster whole, and serves its slots or follows its primary over a
    /// link that is up. A server that does not answer, or a primary without slots, is not.
    var inSync: Bool { clusterOK && (serving || (replication.map { !$0.isPrimary && $0.linkUp } ?? false)) }

    /// Asks the server at `address`.
    static func read(_ address: ServerAddress, driver: RedisClusterDriver) async -> ServerReading {
        let replication = try? await driver.replication(address)
        var serving = false
        if replication?.isPrimary == true { serving = (try? await driver.servesSlots(address)) == true }
        let clusterOK = (try? await driver.clusterStateOK(address)) ?? false
        return ServerReading(replication: replication, serving: serving, clusterOK: clusterOK)
    }
}

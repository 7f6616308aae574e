/// A backend whose cluster clients can reach (real servers): where its shards' slots are and
/// which servers serve them, for a client probe writing through a rollout.
public protocol ClientReachable: Backend {
    /// Each shard (`cache/shard`) with the hash slots it owns.
    func shardSlots() async -> [(name: String, slots: ClosedRange<Int>)]
    /// The address (host and port) of every server of the cluster, as last known.
    func serverAddresses() async -> [(host: String, port: Int)]
    /// Reads the cluster's state again (another process changed it).
    func reloadState() async throws
    /// The password clients give the servers; nil when they require none.
    func clientPassword() async -> String?
    /// The TLS files clients use with the servers (on this machine); nil for plain TCP.
    func clientTLS() async -> TLSFiles?
}

extension ClientReachable {
    public func clientPassword() async -> String? { nil }
    public func clientTLS() async -> TLSFiles? { nil }
}

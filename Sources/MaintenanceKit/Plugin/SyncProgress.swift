/// How far a full sync under way has come, for the live progress on a terminal.
public struct SyncProgress: Sendable, Hashable {
    public var shard: String
    /// The node the new copy is on.
    public var node: String
    /// Bytes of the primary's snapshot received so far and its size, while it is transferred.
    public var receivedBytes: Int64?
    public var totalBytes: Int64?
    /// How many bytes of the primary's replication stream the copy still lacks, once the snapshot is loaded.
    public var bytesBehind: Int64?

    public init(shard: String, node: String, receivedBytes: Int64? = nil, totalBytes: Int64? = nil, bytesBehind: Int64? = nil) {
        self.shard = shard
        self.node = node
        self.receivedBytes = receivedBytes
        self.totalBytes = totalBytes
        self.bytesBehind = bytesBehind
    }

    /// `sync s1 → n2 45% of 212.0 MB`, `sync s1 → n2 96.0 MB received`, `sync s1 → n2 loading`,
    /// `sync s1 → n2 1.2 MB behind`.
    public var description: String {
        let what = "sync \(shard) → \(node)"
        if let received = receivedBytes, let total = totalBytes, total > 0 {
            return "\(what) \(min(100, received * 100 / total))% of \(megabytes(total))"
        }
        // A diskless sync streams a snapshot of unknown size.
        if let received = receivedBytes, received > 0 { return "\(what) \(megabytes(received)) received" }
        if let behind = bytesBehind { return behind > 0 ? "\(what) \(megabytes(behind)) behind" : "\(what) caught up" }
        return "\(what) loading"
    }

    private func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }
}

/// A backend that can say how far its full syncs have come.
public protocol SyncProgressReporting: Sendable {
    /// The full sync under way in `cache`, if one is.
    func syncProgress(in cache: String) async -> SyncProgress?
}

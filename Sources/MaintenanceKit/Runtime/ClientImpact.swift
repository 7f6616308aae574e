/// What cluster clients felt during a rollout, as measured by a probe that wrote through it.
public struct ClientImpact: Sendable, Codable {
    /// One probed shard.
    public struct Shard: Sendable, Codable {
        /// `cache/shard`.
        public var name: String
        public var acknowledged: Int
        public var lost: Int
        /// Acknowledged writes that could not be read back at all.
        public var unverified: Int
        /// The longest time between two acknowledged writes, in milliseconds.
        public var longestGapMS: Int64
        /// When that gap began, in milliseconds since the probe started.
        public var longestGapStartMS: Int64

        public init(name: String, acknowledged: Int, lost: Int, unverified: Int, longestGapMS: Int64, longestGapStartMS: Int64) {
            self.name = name
            self.acknowledged = acknowledged
            self.lost = lost
            self.unverified = unverified
            self.longestGapMS = longestGapMS
            self.longestGapStartMS = longestGapStartMS
        }

        enum CodingKeys: String, CodingKey {
            case name, acknowledged, lost, unverified
            case longestGapMS = "longest_gap_ms", longestGapStartMS = "longest_gap_start_ms"
        }
    }

    public var shards: [Shard]
    /// Every acknowledged write.
    public var writesAcknowledged: Int
    /// Acknowledged writes whose value was missing or wrong when read back.
    public var acknowledgedWritesLost: Int
    /// Acknowledged writes that could not be read back at all (not counted as lost or kept).
    public var acknowledgedWritesUnverified: Int
    /// Failed attempts and redirects followed, by kind (`timeout`, `connection_refused`, `clusterdown`, `moved`, …).
    public var clientErrors: [String: Int]
    /// Latency of an acknowledged write, retries included, in milliseconds.
    public var latencyP50MS: Double
    public var latencyP99MS: Double
    public var latencyMaxMS: Double
    /// The steady interval between two writes to one shard, in milliseconds.
    public var writeIntervalMS: Double

    public init(shards: [Shard], writesAcknowledged: Int, acknowledgedWritesLost: Int, acknowledgedWritesUnverified: Int,
                clientErrors: [String: Int],
                latencyP50MS: Double, latencyP99MS: Double, latencyMaxMS: Double, writeIntervalMS: Double) {
        self.shards = shards
        self.writesAcknowledged = writesAcknowledged
        self.acknowledgedWritesLost = acknowledgedWritesLost
        self.acknowledgedWritesUnverified = acknowledgedWritesUnverified
        self.clientErrors = clientErrors
        self.latencyP50MS = latencyP50MS
        self.latencyP99MS = latencyP99MS
        self.latencyMaxMS = latencyMaxMS
        self.writeIntervalMS = writeIntervalMS
    }

    enum CodingKeys: String, CodingKey {
        case shards
        case writesAcknowledged = "writes_acknowledged", acknowledgedWritesLost = "acknowledged_writes_lost"
        case acknowledgedWritesUnverified = "acknowledged_writes_unverified"
        case clientErrors = "client_errors", latencyP50MS = "latency_p50_ms", latencyP99MS = "latency_p99_ms"
        case latencyMaxMS = "latency_max_ms", writeIntervalMS = "write_interval_ms"
    }
}

extension RolloutSummary {
    /// Adds what a probe measured: lost writes, client errors, and each failover's client
    /// write gap as the probe saw it (the longest gap between acknowledged writes to that
    /// shard) in place of the backend's own figure.
    public mutating func record(_ impact: ClientImpact) {
        clientImpact = impact
        acknowledgedWritesLost = impact.acknowledgedWritesLost
        // Losing an acknowledged write breaks the promise of the rollout, whatever else went well.
        if impact.acknowledgedWritesLost > 0, status == .succeeded { status = .failed }
        let gaps = Dictionary(impact.shards.map { ($0.name, $0.longestGapMS) }, uniquingKeysWith: max)
        for index in failovers.indices {
            guard let gap = gaps["\(failovers[index].cache)/\(failovers[index].shard)"] else { continue }
            failovers[index].backendUnavailableMS = failovers[index].unavailableMS
            failovers[index].unavailableMS = gap
        }
    }
}

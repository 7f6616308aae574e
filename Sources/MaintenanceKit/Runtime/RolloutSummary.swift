/// The result of a rollout, as `run --format json` prints it.
public struct RolloutSummary: Sendable, Encodable {
    /// `succeeded`, `failed`, `aborted`, or `paused` (stopped after a node failed under it).
    public enum Status: String, Sendable, Codable {
        case succeeded, failed, aborted, paused
    }

    public var status: Status
    public var backend: String
    public var playbook: String
    public var caches: [CacheOutcome]
    public var failovers: [FailoverSummary]
    public var invariantViolations: [InvariantViolation]
    /// Acknowledged writes a client probe found missing; nil when no probe ran.
    public var acknowledgedWritesLost: Int?
    public var durationMS: Int64
    public var predictedDurationMS: Int64
    public var expectedFailovers: Int
    public var nodesReplaced: Int
    /// Time spent waiting for full syncs, summed over actions (concurrent caches add up).
    public var syncMS: Int64 = 0
    /// Data moved by full syncs, in MB.
    public var syncMB: Double = 0
    /// What a client probe measured, when one ran.
    public var clientImpact: ClientImpact?

    /// A rollout that had no action to run (a rollback with nothing left to undo): it succeeded at once.
    public static func nothingToRun(backend: String, playbook: String) -> RolloutSummary {
        RolloutSummary(status: .succeeded, backend: backend, playbook: playbook, caches: [], failovers: [],
                       invariantViolations: [], acknowledgedWritesLost: nil, durationMS: 0, predictedDurationMS: 0,
                       expectedFailovers: 0, nodesReplaced: 0)
    }

    enum CodingKeys: String, CodingKey {
        case status, backend, playbook, caches, failovers
        case invariantViolations = "invariant_violations"
        case acknowledgedWritesLost = "acknowledged_writes_lost"
        case durationMS = "duration_ms"
        case predictedDurationMS = "predicted_duration_ms"
        case expectedFailovers = "expected_failovers"
        case nodesReplaced = "nodes_replaced"
        case clientErrors = "client_errors", clientImpact = "client_impact", syncMS = "sync_ms", syncMB = "sync_mb"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(backend, forKey: .backend)
        try container.encode(playbook, forKey: .playbook)
        try container.encode(caches.map(CacheSummary.init), forKey: .caches)
        try container.encode(failovers, forKey: .failovers)
        try container.encode(invariantViolations, forKey: .invariantViolations)
        try container.encode(acknowledgedWritesLost, forKey: .acknowledgedWritesLost)
        try container.encode(durationMS, forKey: .durationMS)
        try container.encode(predictedDurationMS, forKey: .predictedDurationMS)
        try container.encode(expectedFailovers, forKey: .expectedFailovers)
        try container.encode(nodesReplaced, forKey: .nodesReplaced)
        try container.encode(syncMS, forKey: .syncMS)
        try container.encode((syncMB * 10).rounded() / 10, forKey: .syncMB)
        try container.encodeIfPresent(clientImpact?.clientErrors, forKey: .clientErrors)
        try container.encodeIfPresent(clientImpact, forKey: .clientImpact)
    }
}

/// One failover in the summary.
public struct FailoverSummary: Sendable, Codable, Hashable {
    public var cache: String
    public var shard: String
    public var kind: FailoverKind
    public var from: String
    public var to: String
    /// The client write gap: measured by the probe when one ran, else as the backend reports it.
    public var unavailableMS: Int64
    /// The backend's own figure, kept when a probe measured `unavailableMS`.
    public var backendUnavailableMS: Int64?
    /// Unplanned: time until the failure detector declared the primary down.
    public var detectionMS: Int64?
    /// Unplanned: time from that declaration until the replica served as primary.
    public var promotionMS: Int64?

    public init(_ report: FailoverReport) {
        cache = report.cache
        shard = report.shard
        kind = report.kind
        from = report.from
        to = report.to
        unavailableMS = report.unavailable.milliseconds
        detectionMS = report.detection?.milliseconds
        promotionMS = report.promotion?.milliseconds
    }

    enum CodingKeys: String, CodingKey {
        case cache, shard, kind, from, to, unavailableMS = "unavailable_ms", backendUnavailableMS = "backend_unavailable_ms"
        case detectionMS = "detection_ms", promotionMS = "promotion_ms"
    }
}

/// One cache in the JSON summary.
struct CacheSummary: Encodable {
    var id: String
    var resourceGroup: String
    var region: String
    var status: CacheOutcome.Status
    var startedMS: Int64
    var finishedMS: Int64
    var actionsCompleted: Int
    var actionsPlanned: Int
    var nodesReplaced: [NodeReplacement]
    var failovers: Int
    var stoppedAt: String?
    var error: String?

    init(_ outcome: CacheOutcome) {
        id = outcome.cache
        resourceGroup = outcome.placement.resourceGroup
        region = outcome.placement.region
        status = outcome.status
        startedMS = outcome.started.milliseconds
        finishedMS = outcome.finished.milliseconds
        actionsCompleted = outcome.actionsCompleted
        actionsPlanned = outcome.actionsPlanned
        nodesReplaced = outcome.status == .succeeded ? outcome.replacements : []
        failovers = outcome.failovers.count
        stoppedAt = outcome.stoppedAt
        error = outcome.error
    }

    enum CodingKeys: String, CodingKey {
        case id, status, failovers, error
        case resourceGroup = "resource_group", region
        case startedMS = "started_ms", finishedMS = "finished_ms"
        case actionsCompleted = "actions_completed", actionsPlanned = "actions_planned"
        case nodesReplaced = "nodes_replaced", stoppedAt = "stopped_at"
    }
}

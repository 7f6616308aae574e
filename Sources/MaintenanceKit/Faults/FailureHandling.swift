/// A backend that notices failures it was not asked to cause, and heals them: its failure
/// detector declares a node down and promotes the most up-to-date replica of each primary
/// the node held (an unplanned failover).
public protocol FailureDetecting: Backend {
    /// The unplanned events in `cache` since the last call (each is returned once).
    func unplannedFailures(in cache: String) async throws -> [UnplannedFailure]
}

/// A backend that can bring faults about for real, to test a rollout against them.
public protocol FaultInjecting: FailureDetecting {
    /// The fault kinds it can inject.
    nonisolated var injectableFaults: Set<FaultKind> { get }
    /// Brings `fault` about in `cache` now. Returns when the fault has happened (a kill: the
    /// node is gone; a pause or partition: it has begun, and ends by itself).
    /// - Returns: The node the fault hit.
    func inject(_ fault: Fault, in cache: String) async throws -> String
}

/// A node declared down by the failure detector, and what was done about it.
public struct UnplannedFailure: Sendable, Codable, Hashable {
    /// The node that failed.
    public var node: String
    /// When the detector declared it down, on the rollout's clock.
    public var detectedAt: Duration
    /// The failovers that promoted a replica of each primary it held.
    public var failovers: [FailoverReport]
    /// Shards whose every up-to-date copy was on failed nodes: they have no primary, and
    /// writes acknowledged since the last in-sync replica are gone.
    public var lostShards: [String]
    /// The new leader, when the failed node was the leader.
    public var newLeader: String?

    public init(node: String, detectedAt: Duration, failovers: [FailoverReport], lostShards: [String] = [], newLeader: String? = nil) {
        self.node = node
        self.detectedAt = detectedAt
        self.failovers = failovers
        self.lostShards = lostShards
        self.newLeader = newLeader
    }

    /// One line for people.
    public var summary: String {
        var parts = ["node \(node) failed"]
        for failover in failovers {
            parts.append("\(failover.shard) promoted on \(failover.to) (detected in \(failover.detection?.humanReadable ?? "?"), "
                         + "promoted in \(failover.promotion?.humanReadable ?? "?"))")
        }
        if !lostShards.isEmpty { parts.append("no up-to-date copy left of \(lostShards.joined(separator: ", "))") }
        if let newLeader { parts.append("leader now \(newLeader)") }
        return parts.joined(separator: "; ")
    }
}

/// How the failure detector tells a dead node from a slow one.
public struct FailureDetection: Sendable, Codable, Hashable, ConfigPlaceholder {
    /// How often each observer checks each node.
    public var heartbeat: Duration
    /// How long a node must stay unanswering, without a break, before it is declared down; a
    /// shorter stall causes no failover.
    public var downAfter: Duration
    /// How many observers (the leader counts as one) must agree that a node is down.
    public var quorum: Int

    /// 100 ms heartbeats, down after 750 ms of silence seen by 2 observers: a 500 ms stall is
    /// not a failure, a dead node is replaced in about a second.
    public init(heartbeat: Duration = .milliseconds(100), downAfter: Duration = .milliseconds(750), quorum: Int = 2) {
        self.heartbeat = heartbeat
        self.downAfter = downAfter
        self.quorum = quorum
    }

    enum CodingKeys: String, CodingKey {
        case heartbeat, downAfter = "down_after", quorum
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FailureDetection()
        heartbeat = try container.decodeIfPresent(ConfigDuration.self, forKey: .heartbeat)?.duration ?? defaults.heartbeat
        downAfter = try container.decodeIfPresent(ConfigDuration.self, forKey: .downAfter)?.duration ?? defaults.downAfter
        quorum = try container.decodeIfPresent(Int.self, forKey: .quorum) ?? defaults.quorum
        guard heartbeat >= .milliseconds(10), heartbeat <= .seconds(10) else {
            throw ConfigValueError("heartbeat must be between 10ms and 10s")
        }
        guard downAfter >= heartbeat * 2, downAfter <= .seconds(600) else {
            throw ConfigValueError("down_after must be at least two heartbeats and at most 10m")
        }
        guard (1...9).contains(quorum) else { throw ConfigValueError("quorum must be between 1 and 9 observers") }
    }

    /// Written as a playbook writes it (`100ms`), so that a journaled plan reads back.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(heartbeat.compact, forKey: .heartbeat)
        try container.encode(downAfter.compact, forKey: .downAfter)
        try container.encode(quorum, forKey: .quorum)
    }

    public static var placeholder: FailureDetection { FailureDetection() }
}

/// What a rollout does when a node fails under it.
public enum UnplannedFailurePolicy: String, ConfigEnumeration, Codable, Hashable {
    /// Finish the node in hand as far as it can go, then stop before the next node and report;
    /// `maintctl resume` goes on once someone has looked.
    case pause
    /// Stop the cache at once (at the next action boundary).
    case abort
    /// Go on: actions whose old copy was lost re-create it from the shard's new primary.
    case `continue`
}

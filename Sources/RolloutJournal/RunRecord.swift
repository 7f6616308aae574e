import MaintenanceKit

/// What a run was started with: enough to resume it in another process.
public struct RunRecord: Sendable, Codable, Hashable {
    /// A playbook's rollout, or the rollback of one.
    public enum Kind: String, Sendable, Codable {
        case rollout, rollback
    }

    /// The run's id (also the journal's).
    public var id: String
    /// What the run does.
    public var kind: Kind = .rollout
    /// For a rollback of every cache: the journal of the rollout it undoes (marked rolled back at its end).
    public var undoes: String?
    /// The playbook file, as an absolute path.
    public var playbookPath: String
    /// The backend id.
    public var backend: String
    /// The live cluster's state directory, for backends that drive real servers.
    public var stateDirectory: String?
    /// The simulated backend's seed.
    public var seed: UInt64
    /// The caches the plan touches, with their placement (for locks and `history`).
    public var caches: [String: Placement]

    /// The locks a process driving this run holds: each cache, and each (resource group, region).
    public var lockKeys: [LockKey] {
        caches.keys.sorted().map(LockKey.cache)
            + Set(caches.values).sorted { $0.description < $1.description }.map { LockKey.placement(group: $0.resourceGroup, region: $0.region) }
    }

    public init(id: String, playbookPath: String, backend: String, stateDirectory: String?, seed: UInt64, caches: [String: Placement]) {
        self.id = id
        self.playbookPath = playbookPath
        self.backend = backend
        self.stateDirectory = stateDirectory
        self.seed = seed
        self.caches = caches
    }
}

/// Where a journaled run stands.
public enum RunStatus: String, Sendable, Codable {
    /// A process is running it, or was when it died (see the sessions).
    case running
    case succeeded, failed, aborted
    /// Stopped after a node failed under it (policy `pause`); resumable.
    case paused
    /// Rolled back: primaries back on the old nodes, new nodes gone.
    case rolledBack = "rolled_back"
}

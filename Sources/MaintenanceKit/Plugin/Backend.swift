/// Where maintenance actions really happen: an in-memory simulation, local `redis-server`
/// processes, containers.
///
/// Step plugins act only through this protocol. Every operation is idempotent or checks the
/// state before it acts, so a retried action does not do its work twice.
public protocol Backend: Sendable {
    /// Id and summary of the backend type.
    static var descriptor: BackendDescriptor { get }
    /// Id and summary of this backend: its type's, unless one type drives several kinds of
    /// node (local processes or containers) and tells them apart per instance.
    var descriptor: BackendDescriptor { get }

    /// The clock actions are timed and delayed with.
    var clock: any RolloutClock { get }

    /// Runs the backend's background work (failure detectors, timers that end injected
    /// faults) until the calling task is cancelled, then ends it; a rollout runs it beside its
    /// caches. Work asked for while it does not run is refused, never started unowned.
    func run() async

    /// The cache as it is now.
    func topology(of cache: String) async throws -> CacheTopology
    /// One shard of the cache as it is now, as `topology(of:)` has it; nil for a shard the
    /// cache does not have. A backend that asks live servers asks only the shard's.
    func shard(_ shard: String, in cache: String) async throws -> ShardState?
    /// One node of the cache (version, capacity, lifecycle) as `topology(of:)` has it; nil
    /// for a node the cache does not have. A backend that asks live servers for the
    /// topology answers this without asking them.
    func node(_ node: String, in cache: String) async throws -> NodeState?

    /// Marks the start of maintenance on `cache`; the backend may refuse (invariant 7).
    func beginMaintenance(of cache: String) async throws
    /// Marks the end of maintenance on `cache`.
    func endMaintenance(of cache: String) async throws

    /// Provisions new nodes; returns when they are active members of the cluster. Nodes that
    /// exist are left alone; the id of a deleted node may name a new one.
    func createNodes(_ nodes: [NodeSpec], in cache: String) async throws
    /// Makes `node` the cluster leader; there is exactly one leader afterwards.
    func electLeader(_ node: String, in cache: String) async throws
    /// Stops routing new work to `node` (lifecycle: draining).
    func drainNode(_ node: String, in cache: String) async throws
    /// Starts empty copies of `shards` on `node`, all at once, ahead of the moves that attach
    /// them (`addReplica`), so that what a copy costs to start (a server's start-up, the
    /// cluster's handshake) overlaps with the others'. Nothing is replicated, no role changes
    /// and no copy counts as in sync; a copy that cannot start is left to `addReplica`, which
    /// says why. A node about to be created may be named: a backend that can starts its
    /// copies as soon as `createNodes` has made it. A backend whose copies cost nothing to
    /// start does nothing (the default).
    func prepareCopies(of shards: [String], on node: String, in cache: String) async
    /// Starts a new replica copy of `shard` on `node`, attached to the shard's primary.
    func addReplica(of shard: String, on node: String, in cache: String) async throws
    /// Waits until the copy of `shard` on `node` holds every write of its primary.
    func waitForSync(of shard: String, on node: String, in cache: String) async throws -> SyncReport
    /// Planned failover: the in-sync replica on `node` becomes the primary of `shard`.
    func failover(_ shard: String, to node: String, in cache: String) async throws -> FailoverReport
    /// Stops and forgets the copy of `shard` on `node`; never the last up-to-date copy.
    func removeCopy(of shard: String, from node: String, in cache: String) async throws
    /// Takes an empty node out of the cluster (lifecycle: removed).
    func removeNode(_ node: String, in cache: String) async throws
    /// Brings a draining or removed (not deleted) node back into service (lifecycle: active),
    /// so copies can be placed on it again; a rollback's first move.
    func restoreNode(_ node: String, in cache: String) async throws
    /// Deletes removed nodes (lifecycle: deleted); refuses a node that holds a shard copy.
    func deleteNodes(_ nodes: [String], in cache: String) async throws
    /// Restarts a node's processes, optionally at a new version; its copies resync afterwards.
    func restartNode(_ node: String, version: String?, in cache: String) async throws
}

extension Backend {
    public var descriptor: BackendDescriptor { Self.descriptor }

    /// No background work.
    public func run() async {}

    /// The shard, from the whole cache's topology.
    public func shard(_ shard: String, in cache: String) async throws -> ShardState? {
        try await topology(of: cache).shard(shard)
    }

    /// The node, from the whole cache's topology.
    public func node(_ node: String, in cache: String) async throws -> NodeState? {
        try await topology(of: cache).node(node)
    }

    /// Copies cost nothing to start: nothing to prepare.
    public func prepareCopies(of shards: [String], on node: String, in cache: String) async {}
}

/// How a backend describes itself.
public struct BackendDescriptor: Sendable {
    /// The id used with `--backend`.
    public var id: String
    /// One sentence on what it drives.
    public var summary: String

    public init(id: String, summary: String) {
        self.id = id
        self.summary = summary
    }
}

/// What a full sync moved and how long it took.
public struct SyncReport: Sendable, Codable, Hashable {
    public var shard: String
    public var node: String
    public var megabytes: Double
    public var duration: Duration

    public init(shard: String, node: String, megabytes: Double, duration: Duration) {
        self.shard = shard
        self.node = node
        self.megabytes = megabytes
        self.duration = duration
    }
}

/// Planned (cooperative) or unplanned (after a failure).
public enum FailoverKind: String, Sendable, Codable, Hashable {
    case planned, unplanned
}

/// A failover that happened and what clients of its shard felt.
public struct FailoverReport: Sendable, Codable, Hashable {
    public var cache: String
    public var shard: String
    public var kind: FailoverKind
    public var from: String
    public var to: String
    /// How long writes to the shard could not be acknowledged.
    public var unavailable: Duration
    /// Unplanned: from the primary's last answer until the failure detector declared it down.
    public var detection: Duration?
    /// Unplanned: from the declaration until the replica served as primary.
    public var promotion: Duration?

    public init(cache: String, shard: String, kind: FailoverKind, from: String, to: String, unavailable: Duration,
                detection: Duration? = nil, promotion: Duration? = nil) {
        self.cache = cache
        self.shard = shard
        self.kind = kind
        self.from = from
        self.to = to
        self.unavailable = unavailable
        self.detection = detection
        self.promotion = promotion
    }
}

/// A failure a backend reports with where it came from.
public struct BackendError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it is; callers match on it.
    public var code: BackendErrorCode
    /// What went wrong.
    public var message: String

    public init(_ code: BackendErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

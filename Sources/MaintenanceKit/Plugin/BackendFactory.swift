import Logging

/// Makes the backends of one kind; the registry holds one per backend id, so a command never
/// needs to know which backend it drives.
public protocol BackendFactory: Sendable {
    /// Id and summary of the backends it makes.
    var descriptor: BackendDescriptor { get }
    /// Whether its backends drive a live cluster kept in a state directory (`--state DIR`).
    var drivesLiveCluster: Bool { get }
    /// How far a journal's commits must survive for a run on its backends.
    var journalDurability: JournalDurability { get }
    /// What `cluster up` needs per version to start a node (`--binary` or `--image`); nil
    /// when it cannot start clusters.
    var clusterArtifact: ClusterArtifact? { get }
    /// How long things take on its backends, measured on them: what plans predict from (the
    /// seed document's cloud figures unless the backend says otherwise).
    var timingModel: TimingModel { get }

    /// A backend for a new run, and the fleet to plan against: the request's inventory for a
    /// simulation, the live cluster's own view for a backend that drives real servers.
    /// - Throws: `BackendError` when the backend cannot be had (no state directory, another
    ///   backend's cluster there).
    func make(_ request: BackendRequest) async throws -> (backend: any Backend, fleet: Inventory)

    /// The backend a journaled run goes on with (`resume`, `rollback`).
    /// - Parameter journaled: Each cache as the journal last observed it (the whole world of a
    ///   simulation, which does not outlive its process).
    func rebuild(_ request: BackendRequest, journaled: [CacheTopology]) async throws -> any Backend

    /// Starts a cluster for each cache of `request.inventory` (`maintctl cluster up`).
    /// - Returns: Each server started, a line for people.
    func upCluster(_ request: ClusterRequest) async throws -> [String]
}

extension BackendFactory {
    public var clusterArtifact: ClusterArtifact? { nil }
    public var timingModel: TimingModel { TimingModel() }

    public func upCluster(_ request: ClusterRequest) async throws -> [String] {
        throw BackendError(.unknownBackend, "the \(descriptor.id) backend cannot start clusters")
    }
}

/// What a command asks a ``BackendFactory`` for.
public struct BackendRequest: Sendable {
    /// The fleet of the playbook or plan (the simulation's world).
    public var inventory: Inventory
    /// The live cluster's state directory, for backends that need one.
    public var state: String?
    /// Seeds the simulation's timings.
    public var seed: UInt64
    /// Simulated seconds per real second; nil for no real waiting.
    public var timeScale: Double?
    /// How a failure detector tells a dead node from a slow one.
    public var detection: FailureDetection
    public var logger: Logger
    /// The command that changes the live cluster with the backend (`run`, `resume`), which
    /// then holds the cluster against other maintctl processes as long as it lives; nil for
    /// one that only reads it.
    public var command: String?

    public init(inventory: Inventory, state: String?, seed: UInt64 = 1, timeScale: Double? = nil,
                detection: FailureDetection = FailureDetection(), logger: Logger, command: String? = nil) {
        self.command = command
        self.inventory = inventory
        self.state = state
        self.seed = seed
        self.timeScale = timeScale
        self.detection = detection
        self.logger = logger
    }
}

/// How far a journal's committed writes survive.
public enum JournalDurability: Sendable {
    /// A crash of the machine (each commit is flushed to disk): for backends that act on
    /// real servers, whose state outlives a reboot.
    case machineCrash
    /// A crash of maintctl (commits reach the operating system, flushed at checkpoints): for
    /// the simulated backend, whose world lives in the journal itself, so that a lost tail
    /// loses the world's last moments along with their record, consistently.
    case processCrash
}

/// What a node of a started cluster runs, per version.
public enum ClusterArtifact: String, Sendable {
    /// A `redis-server` binary (`--binary VERSION=PATH`).
    case binary
    /// A container image (`--image VERSION=IMAGE`).
    case image
}

/// `maintctl cluster up`'s request.
public struct ClusterRequest: Sendable {
    public var inventory: Inventory
    /// The state directory to create.
    public var state: String
    /// The `redis-server` binary: for versions given none, or to build images from.
    public var redisServer: String
    /// The artifact (``BackendFactory/clusterArtifact``) per version; `default` for the others.
    public var artifacts: [String: String]
    public var logger: Logger

    public init(inventory: Inventory, state: String, redisServer: String, artifacts: [String: String], logger: Logger) {
        self.inventory = inventory
        self.state = state
        self.redisServer = redisServer
        self.artifacts = artifacts
        self.logger = logger
    }
}

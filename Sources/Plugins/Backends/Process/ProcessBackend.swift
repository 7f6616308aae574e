import Foundation
import Logging
import MaintenanceKit
import RedisWire

/// Runs a cache as a real Redis Cluster on loopback: every shard copy is a `redis-server` in
/// cluster mode on free loopback ports, grouped per node in a directory under the state
/// directory. A ``ServerHost`` provisions the nodes and starts their servers: local
/// processes (``LocalProcessHost``, this type's own `process` backend) or one container per
/// node (the `container` backend). The servers outlive maintctl, like VMs outlive the tool
/// that made them; `state.json` finds them again.
public actor ProcessBackend: Backend {
    public static let descriptor = BackendDescriptor(
        id: "process", summary: "A real Redis Cluster of local redis-server processes on loopback ports (needs --state DIR).")

    /// Stands for the node's version in what runs a version (`maintctl/redis:{version}`).
    public static let versionPlaceholder = "{version}"

    public nonisolated let clock: any RolloutClock = WallClock()
    /// The state directory.
    public nonisolated let directory: String
    /// Where the nodes live and their servers run.
    public nonisolated let host: any ServerHost
    /// The backend id of the host: `process` or `container`.
    public nonisolated var descriptor: BackendDescriptor { host.descriptor }
    /// The cluster as `state.json` records it.
    var store: ClusterStateStore
    let logger: Logger
    /// The caches whose maintenance has begun and not ended.
    var underMaintenance: Set<String> = []
    /// Sends the servers their commands, over connections it keeps.
    let driver: RedisClusterDriver
    /// The connections to the endpoints' control sockets it keeps.
    let controlConnections = ControlConnections()
    /// Kills and pauses servers, and ends the pauses on time.
    let faults: FaultInjector
    /// Picks the loopback ports of new servers.
    let choosePort: PortChooser
    /// How the failure detector tells a dead node from a slow one.
    var detection: FailureDetection
    /// Owns the background work: failure detectors and the ends of pauses.
    nonisolated let background: BackgroundScope
    /// The caches' password, read from where the state's reference says when attaching.
    nonisolated let password: String?
    /// The caches' TLS, loaded from the state's files when attaching; nil for plain TCP.
    nonisolated let tls: RedisTLS?
    /// Held while this backend changes the cluster, so that no other maintctl does meanwhile.
    private nonisolated let changeLock: StateDirectoryLock?
    /// The nodes whose directory holds the TLS files already (written once per node).
    var nodesWithTLSFiles: Set<String> = []
    /// The running failure detectors, by cache (see ``FailureDetector``).
    var detectors: [String: BackgroundJob] = [:]
    /// Failures declared and not yet collected by `unplannedFailures(in:)`, by cache.
    var pendingFailures: [String: [UnplannedFailure]] = [:]
    /// The full sync under way in each cache, as its last poll saw it.
    var syncsUnderWay: [String: SyncProgress] = [:]
    /// Servers maintctl stopped on purpose (a retired or restarted copy), by pid: their
    /// silence is no failure.
    var stoppedOnPurpose: Set<Int32> = []
    /// Copies being removed, by Redis id: the failure detector promotes another replica when
    /// there is one.
    var retiring: Set<String> = []
    /// Shards whose planned failover is between its hold and its promotion's outcome, as
    /// "cache/shard": an unplanned failover of the same shard waits for that outcome.
    var plannedFailoversInFlight: Set<String> = []
    /// Copies started ahead of their moves and not attached yet, by Redis id: empty servers,
    /// nobody's replica, that report `cluster_state:fail` for their first 2 s (Redis's delay
    /// for a master that joins); the cluster's health does not wait for them.
    var unattached: Set<String> = []
    /// Copies attached and not yet seen in sync, by Redis id: a sync begun beside an earlier
    /// move (`parallel_syncs`) keeps its link down until it ends; the cluster's health checks
    /// do not wait for it (its own move's `waitForSync` does).
    var firstSyncs: Set<String> = []
    /// Copies asked to be prepared on nodes not created yet, by cache and node: `createNodes`
    /// starts them as soon as it has made the node.
    var preparationsForNewNodes: [String: [String: [String]]] = [:]
    /// For each new copy, by Redis id, the servers seen to know it and known by it.
    var acquainted: [String: Set<String>] = [:]
    /// Nodes silent to maintctl that the other nodes still reach, already told of once.
    var reachedOnlyByOthers: Set<String> = []

    /// Attaches to the cluster started in `directory`. Call ``resumeOverduePauses()`` next:
    /// processes that a `pause` fault stopped and whose pause is over (maintctl died before
    /// it could resume them) run again.
    /// - Parameters:
    ///   - directory: The state directory of `maintctl cluster up`.
    ///   - logger: Where the backend logs.
    ///   - detection: The failure detector's settings (the playbook's `failure_detection`).
    ///   - attach: Opens the host the state records (by default: local processes only).
    ///   - choosePort: Picks the loopback ports of the servers it starts.
    ///   - command: What this process changes the cluster for (`run`, `cluster down`): the
    ///     backend then holds the directory's ``StateDirectoryLock`` as long as it lives; nil
    ///     for a reader.
    /// - Throws: `BackendError` when there is no cluster state there, another maintctl changes
    ///   the cluster (`cluster-busy`), or `attach` refuses its host.
    public init(directory: String, logger: Logger, detection: FailureDetection = FailureDetection(),
                attach: (HostRecord, String) throws -> any ServerHost = LocalProcessHost.attach,
                choosePort: @escaping PortChooser = FreePort.find, changingFor command: String? = nil) throws {
        let directory = Self.absolute(directory)
        // The lock before the state: what another maintctl wrote before it let go is read.
        if let command, FileManager.default.fileExists(atPath: directory + "/" + ClusterState.fileName) {
            self.changeLock = try StateDirectoryLock(directory: directory, command: command)
        } else {
            self.changeLock = nil
        }
        let state = try ClusterState.load(from: directory)
        self.host = try attach(state.host ?? .localProcesses, directory)
        self.password = try Self.readPassword(state.password)
        self.tls = try Self.loadTLS(state.tls)
        self.directory = directory
        self.store = ClusterStateStore(directory: directory, state: state)
        self.logger = logger
        self.detection = detection
        self.choosePort = choosePort
        (driver, background) = (RedisClusterDriver(password: password, tls: tls), BackgroundScope())
        faults = FaultInjector(host: host, driver: driver, background: background)
    }

    init(directory: String, state: ClusterState, host: any ServerHost, password: String?, tls: RedisTLS? = nil, logger: Logger,
         choosePort: @escaping PortChooser, lock: StateDirectoryLock) {
        self.changeLock = lock
        self.directory = directory
        self.password = password
        self.tls = tls
        self.store = ClusterStateStore(directory: directory, state: state)
        self.host = host
        self.logger = logger
        self.detection = FailureDetection()
        self.choosePort = choosePort
        (driver, background) = (RedisClusterDriver(password: password, tls: tls), BackgroundScope())
        faults = FaultInjector(host: host, driver: driver, background: background)
    }

    /// The TLS that `files` (on this machine) make.
    /// - Throws: `BackendError` naming the file that cannot be read or used.
    static func loadTLS(_ files: TLSFiles?) throws -> RedisTLS? {
        guard let files else { return nil }
        do {
            return try RedisTLS(caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile)
        } catch {
            throw BackendError(.tlsUnavailable, "the cluster speaks TLS: \(error.message)")
        }
    }

    /// The secret `reference` names.
    /// - Throws: `BackendError` naming where it should be (never the secret).
    static func readPassword(_ reference: SecretReference?) throws -> String? {
        guard let reference else { return nil }
        do {
            return try reference.resolve()
        } catch {
            throw BackendError(.passwordUnavailable, "the cluster's servers require a password: \(error.message)")
        }
    }

    /// `path` made absolute against the working directory: the servers run elsewhere (their
    /// own directory, a container) and a node's directory is mounted at the same path.
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// What the cluster in `directory` runs on, to choose the host to attach with.
    /// - Throws: `BackendError` when there is no cluster state there.
    public static func hostRecord(in directory: String) throws -> HostRecord {
        try ClusterState.load(from: directory).host ?? .localProcesses
    }

    /// Sets how the failure detector tells a dead node from a slow one; detectors started
    /// afterwards use it.
    public func setFailureDetection(_ settings: FailureDetection) { detection = settings }

    /// Runs the failure detectors and the timers that end pauses until the calling task is
    /// cancelled; a rollout runs it beside its caches.
    public nonisolated func run() async { await background.run() }

    /// Stops this instance's failure detectors, ends the pauses it injected (their processes
    /// run again now), and closes every connection.
    public func close() async {
        await stopFailureDetectors()
        await endPauses { _ in true }
        await driver.closeAll()
        await controlConnections.closeAll()
    }
}

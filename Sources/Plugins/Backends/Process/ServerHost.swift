import MaintenanceKit

#if canImport(Glibc)
import Glibc
#endif

/// Where the nodes of a loopback Redis Cluster live and their `redis-server`s run: local
/// processes (``LocalProcessHost``) or one container per node (the container backend).
///
/// ``ProcessBackend`` drives the cluster (slots, replication, failovers, failure detection)
/// the same way whatever the host; the host only provisions and deletes nodes and starts
/// servers on them. Every server runs on this machine's loopback with a pid of this
/// machine, so the backend watches, pauses and stops it by pid whatever the host.
public protocol ServerHost: Sendable {
    /// The backend id and summary a cluster on this host reports (`process`, `container`).
    var descriptor: BackendDescriptor { get }
    /// What `state.json` keeps of the host, to attach to the cluster again.
    var record: HostRecord { get }

    /// Checks that a node at a version can be created: what runs it (a binary, an image) is
    /// there. Called before anything of a step is done.
    /// - Parameters:
    ///   - version: The node version.
    ///   - runnable: What the cluster's state maps that version to (a binary or an image).
    /// - Throws: `BackendError` saying what is missing and how to provide it.
    func check(version: String, runnable: String) async throws

    /// Provisions a node, or makes sure the node that exists runs; it may already exist.
    /// - Parameters:
    ///   - node: The node.
    ///   - runnable: What runs its servers (a binary or an image).
    ///   - directory: The node's directory under the state directory; its servers' files go here.
    /// - Throws: `BackendError` when the node cannot be provisioned.
    func provision(_ node: NodeSpec, runnable: String, directory: String) async throws

    /// Starts a `redis-server` on `node` and returns the pid of this machine it runs as.
    /// - Parameters:
    ///   - node: The node whose server it is.
    ///   - runnable: What runs the server (a binary or an image).
    ///   - arguments: The server's arguments (ports, cluster mode, its directory, its log file).
    ///   - pidFile: Where a daemonized server writes its pid, for a host that reads it back.
    ///     A server whose start a crash of maintctl cut short is found by its working
    ///     directory, not by this file.
    /// - Throws: `BackendError` with code `redis-start-failed` when it does not start.
    func startServer(on node: String, runnable: String, arguments: [String], pidFile: String) async throws -> pid_t

    /// Starts the node's endpoint and returns the pid of this machine it runs as, without
    /// waiting for it to serve (the backend asks its control socket).
    /// - Parameters:
    ///   - node: The node.
    ///   - binary: The `maintctl-proxy` of this machine.
    ///   - arguments: Its arguments (where it listens, its seeds, its control socket in `directory`).
    ///   - directory: The node's directory: the endpoint's log and pid file go there.
    /// - Throws: `BackendError` with code `endpoint-start-failed` when it does not start.
    func startEndpoint(on node: String, binary: String, arguments: [String], directory: String) async throws -> pid_t

    /// Brings a node down all at once, as a crashed machine: its servers die by SIGKILL.
    /// - Parameters:
    ///   - node: The node.
    ///   - pids: Its servers' pids, each checked to be still ours by the caller.
    func crash(_ node: String, pids: [pid_t]) async

    /// Deletes a node: every server still running on it stops, and its directory goes.
    /// - Parameters:
    ///   - node: The node.
    ///   - directory: Its directory under the state directory.
    /// - Throws: `BackendError` when the node may still be there.
    func delete(_ node: String, directory: String) async throws

    /// Deletes every node of the cluster there may be, also ones the state does not know
    /// (provisioned just before a crash of maintctl).
    /// - Parameter directory: The `nodes` directory under the state directory.
    /// - Throws: `BackendError` when nodes may still be there.
    func deleteAll(under directory: String) async throws
}

/// What `state.json` keeps of a cluster's host.
public struct HostRecord: Codable, Sendable, Hashable {
    /// The backend id of the host: `process` or `container`.
    public var kind: String
    /// The container engine's endpoint (`unix:///…`), for a host of containers.
    public var engine: String?
    /// The prefix of the cluster's container names, unique to the cluster.
    public var namePrefix: String?
    /// The `redis-server` binary that images maintctl builds itself are made from.
    public var imageSource: String?

    public init(kind: String, engine: String? = nil, namePrefix: String? = nil, imageSource: String? = nil) {
        self.kind = kind
        self.engine = engine
        self.namePrefix = namePrefix
        self.imageSource = imageSource
    }

    /// A cluster of local processes (also what a state without a host record holds).
    public static let localProcesses = HostRecord(kind: "process")
}

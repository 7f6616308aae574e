import Foundation
import MaintenanceKit
import RedisWire

#if canImport(Glibc)
import Glibc
#endif

/// Where the nodes of a Redis Cluster live and their `redis-server`s run: local processes
/// (``LocalProcessHost``), one container per node (the container backend), or machines
/// reached over SSH (the ssh backend).
///
/// ``ProcessBackend`` drives the cluster (slots, replication, failovers, failure detection)
/// the same way whatever the host; the host provisions and deletes nodes, starts servers on
/// them, and answers for their processes and files: the pids, directories and ports are
/// those of the node's machine, which need not be this one.
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

    /// Whether nodes on this host run an endpoint (`maintctl-proxy`) beside their servers.
    var runsEndpoints: Bool { get }

    /// Provisions a node, or makes sure the node that exists runs; it may already exist.
    /// - Parameters:
    ///   - node: The node.
    ///   - runnable: What runs its servers (a binary or an image).
    ///   - directory: The node's directory; its servers' files go here.
    ///   - current: Where the node is when it was provisioned before (restarted in place), else nil.
    ///   - taken: The addresses of the cluster's other nodes, which a new node must not take.
    /// - Returns: The address of the machine the node is on, its servers' address; nil for
    ///   this machine's loopback.
    /// - Throws: `BackendError` when the node cannot be provisioned.
    func provision(_ node: NodeSpec, runnable: String, directory: String, current: NodeLocation?, taken: Set<String>) async throws -> String?

    /// Starts a `redis-server` on `node` and returns the pid of the node's machine it runs as.
    /// - Parameters:
    ///   - node: The node whose server it is.
    ///   - runnable: What runs the server (a binary or an image).
    ///   - arguments: The server's arguments (ports, cluster mode, its directory, its log file).
    ///   - pidFile: Where a daemonized server writes its pid, for a host that reads it back.
    ///     A server whose start a crash of maintctl cut short is found by its working
    ///     directory, not by this file.
    /// - Throws: `BackendError` with code `redis-start-failed` when it does not start.
    func startServer(on node: NodeLocation, runnable: String, arguments: [String], pidFile: String) async throws -> pid_t

    /// Starts the node's endpoint and returns the pid it runs as on the node's machine,
    /// without waiting for it to serve (the backend asks its control socket).
    /// - Parameters:
    ///   - node: The node.
    ///   - binary: The `maintctl-proxy` of this machine (a host of other machines copies it there).
    ///   - arguments: Its arguments (where it listens, its seeds, its control socket in `directory`).
    ///   - directory: The node's directory: the endpoint's log and pid file go there.
    /// - Throws: `BackendError` with code `endpoint-start-failed` when it does not start.
    func startEndpoint(on node: NodeLocation, binary: String, arguments: [String], directory: String) async throws -> pid_t

    /// Whether each endpoint is still the `maintctl-proxy` started for it (its pid, listening
    /// on its address), in the order given.
    func endpointsRunning(_ endpoints: [HostedEndpoint]) async -> [Bool]

    /// Stops an endpoint if its pid is still that endpoint: asked to end, killed after
    /// `grace`; at once for a zero grace (a crashed machine). Returns when it is gone.
    func stopEndpoint(_ endpoint: HostedEndpoint, grace: Duration) async

    /// Stops every endpoint on the nodes' machines whose control socket lies under
    /// `directory`, recorded or not (one whose start a crash of maintctl cut short).
    func stopEndpoints(under directory: String, on nodes: [NodeLocation]) async

    /// The path of a unix socket of this machine that reaches the control socket of the
    /// endpoint of `node` (in the node's `directory` on its machine).
    /// - Parameter renew: The path given before did not connect: make it anew (a host that
    ///   forwards it from another machine forwards it again).
    /// - Throws: `BackendError` when the node's machine cannot be reached.
    func controlSocket(endpointIn directory: String, of node: NodeLocation, renew: Bool) async throws -> String

    /// Brings a node down all at once, as a crashed machine: its servers die by SIGKILL.
    /// - Parameters:
    ///   - node: The node.
    ///   - pids: Its servers' pids, each checked to be still ours by the caller.
    func crash(_ node: NodeLocation, pids: [pid_t]) async

    /// Deletes a node: every server still running on it stops, and its directory goes.
    /// - Parameters:
    ///   - node: The node.
    ///   - directory: Its directory.
    /// - Throws: `BackendError` when the node may still be there.
    func delete(_ node: NodeLocation, directory: String) async throws

    /// Deletes every node of the cluster there may be, also ones the state does not know
    /// (provisioned just before a crash of maintctl).
    /// - Parameters:
    ///   - directory: The `nodes` directory under the state directory.
    ///   - nodes: The nodes the state knows that are not deleted.
    /// - Throws: `BackendError` when nodes may still be there.
    func deleteAll(under directory: String, nodes: [NodeLocation]) async throws

    /// What each server's process is now, in the order given: gone (or a pid that is no
    /// longer that server), running, or stopped by a signal.
    func conditions(of servers: [HostedServer]) async -> [ServerCondition]

    /// Sends `signal` to each server whose pid is still that server.
    func signal(_ signal: ServerSignal, to servers: [HostedServer]) async

    /// Stops a server if its pid is still that server: it runs again if paused, is asked to
    /// end, and is killed after `grace`. Returns when it is gone.
    func stop(_ server: HostedServer, grace: Duration) async

    /// Stops every `redis-server` on the node's machine that works in `directory` or under it,
    /// whether or not the state knows it (a start cut short by a crash of maintctl).
    func stopServers(under directory: String, on node: NodeLocation) async

    /// Makes a directory (and its parents) on the node's machine.
    /// - Throws: `BackendError` when it cannot.
    func makeDirectory(_ path: String, on node: NodeLocation) async throws

    /// Removes a file or a directory with what it holds, on the node's machine; gone already is fine.
    func remove(_ path: String, on node: NodeLocation) async

    /// The last lines of a file on the node's machine, for an error message ("" when unreadable).
    func tail(of file: String, on node: NodeLocation) async -> String

    /// Writes a secret to a new file in `directory` on the node's machine that only its
    /// owner can read, never through a command line, and returns the file's path.
    /// - Throws: `BackendError` when it cannot be written.
    func writeSecret(_ contents: String, in directory: String, on node: NodeLocation) async throws -> String

    /// Writes `contents` to `path` on the node's machine, readable only by its owner,
    /// replacing what was there.
    /// - Throws: `BackendError` when it cannot be written.
    func writeFile(_ contents: Data, to path: String, on node: NodeLocation) async throws

    /// The working directory of a server's process (its `dir`) on its node's machine; nil when
    /// the pid is no `redis-server` serving that port there.
    func workingDirectory(of server: HostedServer) async -> String?

    /// Whether the servers answer when asked from the node's machine: true when one answers,
    /// false when none does, nil when the machine cannot be asked (or the host cannot ask
    /// from a node's machine). Tells a node that only maintctl cannot reach from one that is down.
    /// `caFile` (on the node's machine) is the cache's TLS CA when its servers speak TLS only.
    func reach(_ servers: [ServerAddress], from node: NodeLocation, caFile: String?) async -> Bool?

    /// The network faults the host brings about for real on a node's machine (`partition`, `slow`).
    var networkFaults: Set<FaultKind> { get }

    /// Cuts the node's machine off from `peers` and from maintctl for `duration`: their
    /// traffic is dropped both ways (maintctl's SSH excepted); the machine ends it by itself on
    /// time, also when maintctl died meanwhile.
    /// - Throws: `BackendError` when the host cannot, or the machine refused.
    func partition(_ node: NodeLocation, from peers: [String], for duration: Duration) async throws

    /// Slows everything the node's machine sends `factor` times for `duration`; the machine
    /// ends it by itself on time.
    /// - Returns: How, for the record (the delay added, or the rate it is held to).
    /// - Throws: `BackendError` when the host cannot, or the machine refused.
    func slow(_ node: NodeLocation, factor: Double, for duration: Duration) async throws -> String

    /// Ends every network fault on the node's machine now.
    func healNetwork(_ node: NodeLocation) async
}

/// A node as its host knows it: its id and the address of the machine it is on.
public struct NodeLocation: Sendable, Hashable {
    /// The node id.
    public var id: String
    /// The address its servers listen on; nil: this machine's loopback.
    public var address: String?

    public init(id: String, address: String?) {
        self.id = id
        self.address = address
    }
}

/// A `redis-server` on a node's machine: its pid there and the port it serves.
public struct HostedServer: Sendable, Hashable {
    public var node: NodeLocation
    public var pid: pid_t
    public var port: Int

    public init(node: NodeLocation, pid: pid_t, port: Int) {
        self.node = node
        self.pid = pid
        self.port = port
    }
}

/// A node's endpoint on its machine: its pid there and the port it listens on at the node's address.
public struct HostedEndpoint: Sendable, Hashable {
    public var node: NodeLocation
    public var pid: pid_t
    public var port: Int

    public init(node: NodeLocation, pid: pid_t, port: Int) {
        self.node = node
        self.pid = pid
        self.port = port
    }

    /// Where it listens: `ADDRESS:PORT`, as its `--listen` says.
    public var listen: String { "\(node.address ?? RedisConnection.loopback):\(port)" }
}

/// What a server's process is now.
public enum ServerCondition: Sendable, Hashable {
    /// Not running, or its pid is another process now.
    case gone
    case running
    /// Stopped by a signal (a `pause` fault): it holds its sockets but answers nothing.
    case stopped
}

/// A signal for a server's process.
public enum ServerSignal: Sendable, Hashable {
    /// SIGSTOP: a stalled machine.
    case pause
    /// SIGCONT.
    case resume
    /// SIGKILL: a crashed machine.
    case kill
}

/// What `state.json` keeps of a cluster's host.
public struct HostRecord: Codable, Sendable, Hashable {
    /// The backend id of the host: `process`, `container` or `ssh`.
    public var kind: String
    /// The container engine's endpoint (`unix:///…`), for a host of containers.
    public var engine: String?
    /// The prefix of the cluster's container names, unique to the cluster.
    public var namePrefix: String?
    /// The `redis-server` binary that images maintctl builds itself are made from.
    public var imageSource: String?
    /// The machines a host of machines reaches (every node's and every spare one), and how.
    public var machines: [SpareHost]?
    /// Where node directories are on those machines.
    public var remoteDirectory: String?
    /// How a host of machines makes and deletes machines when no spare is left.
    public var provisioning: MachineProvisioning?

    public init(kind: String, engine: String? = nil, namePrefix: String? = nil, imageSource: String? = nil,
                machines: [SpareHost]? = nil, remoteDirectory: String? = nil, provisioning: MachineProvisioning? = nil) {
        self.kind = kind
        self.engine = engine
        self.namePrefix = namePrefix
        self.imageSource = imageSource
        self.machines = machines
        self.remoteDirectory = remoteDirectory
        self.provisioning = provisioning
    }

    /// A cluster of local processes (also what a state without a host record holds).
    public static let localProcesses = HostRecord(kind: "process")
}

import Foundation
import RedisWire
import MaintenanceKit

/// What the process backend knows of a live cluster it started, kept in `DIR/state.json`:
/// every node's directory and every shard copy's ports, Redis node id and pid. Roles and
/// replication state are not stored; they are read live from the servers.
struct ClusterState: Codable, Sendable {
    struct Cache: Codable, Sendable {
        var id: String
        var placement: Placement
        var leader: String?
        var minReplicas: Int
        var nodes: [Node]
        var shards: [Shard]
        /// How the endpoints carry clients through maintenance (absent in older states: the standard).
        var endpoints: EndpointPolicy?
    }

    struct Node: Codable, Sendable {
        var id: String
        var version: String
        var capacity: Capacity
        var lifecycle: NodeLifecycle
        /// The lifecycle a failed node had before the failure detector declared it down; it
        /// gets it back when its servers answer again (a stall that outlasted the detector).
        var lifecycleBeforeFailure: NodeLifecycle?
        /// The node's endpoint (`maintctl-proxy`), once started; absent in states written before endpoints.
        var endpoint: Endpoint?
        /// The node its last shard copy moved to: where its endpoint's clients go when it leaves.
        var successor: String?
        /// Whether its servers were running before maintctl adopted the cluster (`cluster
        /// adopt`): they live outside the state directory and stop only when a step retires them.
        var adopted: Bool?
        /// The address of the node's host, where its servers listen; absent: this machine's loopback.
        var host: String?
    }

    /// A node's endpoint process: where clients connect, and its pid.
    struct Endpoint: Codable, Sendable {
        var port: Int
        var pid: Int32
        /// Ports it took over from endpoints of nodes that left; it serves them too.
        var adoptedPorts: [Int]?
        /// When it closes its clients' connections: its node leaves, its clients were told `MOVING`.
        var closesAt: Date?
        /// Where its clients are told to move once its node leaves (`ADDRESS:PORT`, the
        /// successor's endpoint); absent in states written before it was recorded.
        var movingTo: String?

        /// Every port it serves.
        var ports: [Int] { [port] + (adoptedPorts ?? []) }
    }

    struct Shard: Codable, Sendable {
        var id: String
        var sizeMB: Double
        /// The hash slots the shard owns (inclusive).
        var firstSlot: Int
        var lastSlot: Int
        var copies: [Copy]
    }

    struct Copy: Codable, Sendable {
        var node: String
        var port: Int
        var busPort: Int
        var pid: Int32
        /// The Redis Cluster node id (40 hex characters).
        var redisID: String
        /// On a failed node, the role the copy had when its node was declared down: a primary
        /// that no replica could replace is still the shard's (unreachable) primary.
        var roleAtFailure: CopyRole?
        /// Whether the server was running before maintctl adopted the cluster: `cluster down`
        /// leaves it running unless told otherwise, and it is never restarted in place.
        var adopted: Bool?
        /// The address of its node's host that it listens on and announces; absent: this
        /// machine's loopback (every cluster before hosts had addresses).
        var host: String?

        /// Where clients and maintctl reach the server.
        var address: ServerAddress { ServerAddress(host: host ?? RedisConnection.loopback, port: port) }
    }

    /// A node's processes stopped by a `pause` fault, and when they must run again. Recorded
    /// so that whoever attaches to the cluster next resumes them should maintctl die meanwhile.
    struct Pause: Codable, Sendable {
        var cache: String
        var node: String
        var processes: [PausedProcess]
        /// Wall-clock time (seconds since 1970) at which the pause ends.
        var resumeAt: Double
        /// The address of the node's machine; absent: this machine.
        var host: String?

        /// The paused servers, where their host has them.
        var servers: [HostedServer] {
            processes.map { HostedServer(node: NodeLocation(id: node, address: host), pid: $0.pid, port: $0.port) }
        }
    }

    struct PausedProcess: Codable, Sendable, Hashable {
        var pid: Int32
        var port: Int
    }

    /// What runs each version, `default` for versions not listed: a `redis-server` binary
    /// for local processes, an image for containers.
    var binaries: [String: String]
    /// Where the nodes live (absent in states written before containers: local processes).
    var host: HostRecord?
    var caches: [Cache]
    /// Pauses in progress (absent in state files written before faults existed).
    var pauses: [Pause]?
    /// The `maintctl-proxy` the nodes' endpoints run; nil for a cluster made before endpoints.
    var endpointBinary: String?
    /// Where the caches' password is (the inventory's reference, never the secret); nil
    /// when the servers require none.
    var password: SecretReference?
    /// The caches' TLS files on this machine (paths, never their contents); nil for plain TCP.
    var tls: TLSFiles?

    static let fileName = "state.json"

    /// Loads the state of the cluster started in `directory`.
    /// - Throws: `BackendError` naming the directory when there is no cluster there.
    static func load(from directory: String) throws -> ClusterState {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackendError(.noCluster, "no cluster state in '\(directory)'; start one with: maintctl cluster up INVENTORY --backend process|container --state \(directory)")
        }
        do {
            return try JSONDecoder().decode(ClusterState.self, from: data)
        } catch {
            throw BackendError(.badState, "\(path) is not a maintctl cluster state: \(error)")
        }
    }

    /// Writes the state atomically (a temporary file renamed over the old one).
    func save(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw BackendError(.stateWriteFailed, "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw BackendError(.stateWriteFailed, "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// What runs `version`: a binary, or an image.
    func runnable(for version: String) -> String { Self.runnable(for: version, in: binaries) }

    /// What runs `version` by the map `binaries` (the version's entry, else `default`).
    static func runnable(for version: String, in binaries: [String: String]) -> String {
        (binaries[version] ?? binaries["default"] ?? "redis-server").replacingOccurrences(of: ProcessBackend.versionPlaceholder, with: version)
    }

    /// The directory of `node`'s copy of `shard`.
    static func copyDirectory(root: String, node: String, shard: String) -> String { "\(nodeDirectory(root: root, node: node))/\(shard)" }

    /// The unix socket maintctl steers `node`'s endpoint through.

    /// The directory of `node`.
    static func nodeDirectory(root: String, node: String) -> String { "\(root)/nodes/\(node)" }
}

import MaintenanceKit
import Synchronization

/// The embedded default backend: an in-memory, discrete-event model of the fleet on a
/// virtual clock. It models nodes, shard copies, roles, replication state and node load,
/// checks the invariants after every event, and refuses an operation that would break one
/// (reporting it as an ``InvariantViolation``).
public actor SimulatedBackend: Backend {
    public static let descriptor = BackendDescriptor(
        id: "simulated", summary: "In-memory fleet on a virtual clock; hours of rollout in milliseconds, invariants checked after every event.")

    public nonisolated let clock: any RolloutClock
    let config: SimulationConfig
    var caches: [String: CacheTopology]
    var random: [String: SeededRandom] = [:]
    /// Copies being synced: (cache, shard, node) → size in MB, for the load model.
    var syncing: [String: Set<SyncKey>] = [:]
    /// Shards with a copy being restarted or replaced, allowed one replica fewer.
    var replacing: [String: Set<String>] = [:]
    /// Caches under maintenance now.
    var underMaintenance: Set<String> = []
    /// Every violation found (refused operations included).
    public internal(set) var violations: [InvariantViolation] = []
    /// Failures the failure detector handled, not yet collected by the runtime, by cache;
    /// outside the actor, since the runtime asks after every action.
    nonisolated let pendingFailures = Mutex<[String: [UnplannedFailure]]>([:])
    /// Paused or partitioned nodes that come back, by cache.
    var returns: [String: [NodeReturn]] = [:]
    /// Slowed replication links, by cache and node.
    var slowLinks: [String: [String: SlowLink]] = [:]

    struct NodeReturn {
        var node: String
        var at: Duration
        var lifecycle: NodeLifecycle
    }

    struct SlowLink {
        var factor: Double
        var until: Duration
    }
    /// How many events happened.
    public internal(set) var eventCount = 0

    struct SyncKey: Hashable {
        var shard: String
        var source: String
        var destination: String
        var sizeMB: Double
    }

    /// A simulated fleet as `inventory` describes it.
    public init(inventory: Inventory, config: SimulationConfig = SimulationConfig(), clock: any RolloutClock = VirtualClock()) {
        self.config = config
        self.clock = clock
        self.caches = Dictionary(uniqueKeysWithValues: inventory.caches.map { ($0.id, CacheTopology($0)) })
    }

    /// A simulated fleet that continues from recorded states: a resumed rollout's world as its
    /// journal last observed it (a simulated world does not outlive the process that ran it).
    public init(topologies: [CacheTopology], config: SimulationConfig = SimulationConfig(), clock: any RolloutClock = VirtualClock()) {
        self.config = config
        self.clock = clock
        self.caches = Dictionary(topologies.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    public func topology(of cache: String) async throws -> CacheTopology {
        try existing(cache)
    }

    public func beginMaintenance(of cache: String) async throws {
        let topology = try existing(cache)
        let clash = underMaintenance.compactMap { caches[$0] }.first { $0.placement == topology.placement }
        if let clash {
            throw record(InvariantViolation(7, cache: cache,
                "cache '\(clash.id)' in \(topology.placement) is already under maintenance"))
        }
        underMaintenance.insert(cache)
        eventCount += 1
    }

    public func endMaintenance(of cache: String) async throws {
        underMaintenance.remove(cache)
        eventCount += 1
    }

    // MARK: - Helpers shared by the operations

    /// The cache as it is now, after nodes whose pause or partition ended came back.
    func existing(_ cache: String) throws -> CacheTopology {
        if returns[cache]?.isEmpty == false { settleReturns(in: cache) }
        guard let topology = caches[cache] else { throw BackendError(.unknownCache, "the simulated fleet has no cache '\(cache)'") }
        return topology
    }

    /// A duration around `typical`, varied by the configured jitter, from the cache's own stream.
    func sample(_ typical: Duration, cache: String) -> Duration {
        var generator = random[cache] ?? SeededRandom(seed: config.seed, label: cache)
        let factor = config.jitter > 0 ? Double.random(in: (1 - config.jitter)...(1 + config.jitter), using: &generator) : 1
        random[cache] = generator
        return .milliseconds(Int64((typical.seconds * factor * 1000).rounded()))
    }

    /// Applies `change` to a copy of the cache, checks the invariants on the result and
    /// commits it only if they hold; otherwise records and throws the violation.
    func apply(_ cache: String, _ change: (inout CacheTopology) throws -> Void) throws {
        var topology = try existing(cache)
        try change(&topology)
        var found = Invariants.check(topology, replacing: shardsBeingReplaced(in: cache))
        found += headroomViolations(in: topology)
        if let first = found.first {
            for violation in found.dropFirst() { violations.append(violation) }
            throw record(first)
        }
        caches[cache] = topology
        eventCount += 1
    }

    /// Shards with a copy being restarted, or a new copy syncing: invariant 5's exception.
    func shardsBeingReplaced(in cache: String) -> Set<String> {
        guard let syncs = syncing[cache], !syncs.isEmpty else { return replacing[cache] ?? [] }
        var replaced = replacing[cache] ?? []
        for sync in syncs { replaced.insert(sync.shard) }
        return replaced
    }

    func record(_ violation: InvariantViolation) -> InvariantViolation {
        violations.append(violation)
        return violation
    }

    /// Invariant 8: load (with replication overhead of syncs in flight) within capacity.
    func headroomViolations(in topology: CacheTopology) -> [InvariantViolation] {
        var extra: [String: NodeLoad] = [:]
        for sync in syncing[topology.id] ?? [] {
            let overhead = config.load.syncOverhead(sizeMB: sync.sizeMB)
            extra[sync.source, default: NodeLoad()] = extra[sync.source, default: NodeLoad()] + overhead.source
            extra[sync.destination, default: NodeLoad()] = extra[sync.destination, default: NodeLoad()] + overhead.destination
        }
        var found: [InvariantViolation] = []
        let steady = config.load.loads(in: topology)
        for node in topology.nodes where node.lifecycle != .removed && node.lifecycle != .deleted && node.lifecycle != .failed {
            let load = steady[node.id, default: NodeLoad()] + extra[node.id, default: NodeLoad()]
            if !load.fits(node.capacity) {
                found.append(InvariantViolation(8, cache: topology.id,
                    "node '\(node.id)' carries \(Int(load.memoryMB)) MB and \(load.cpus) CPUs, over its capacity "
                        + "\(Int(node.capacity.memoryMB)) MB / \(node.capacity.cpus) CPUs"))
            }
        }
        return found
    }

    static func copyIndex(of shard: String, on node: String, in topology: CacheTopology) -> (shard: Int, copy: Int)? {
        guard let s = topology.shards.firstIndex(where: { $0.id == shard }),
              let c = topology.shards[s].copies.firstIndex(where: { $0.node == node }) else { return nil }
        return (s, c)
    }
}

import Foundation
import MaintenanceKit

/// The live cluster's ``ClusterState`` and the `state.json` it is kept in: lookups and
/// updates of its records by id, and `persist()`.
///
/// Records are found by id on every access, never by a position kept from before: the
/// backend's actor runs other work (the failure detector's verdicts, a concurrent step) while
/// one of its methods awaits a server, and that work may add, remove or replace copies.
struct ClusterStateStore: Sendable {
    /// The state directory.
    let directory: String
    /// The cluster as it is recorded.
    var state: ClusterState

    /// Loads the state of the cluster started in `directory`.
    /// - Throws: `BackendError` when there is no cluster there, or its state is unreadable.
    static func load(from directory: String) throws -> ClusterStateStore {
        ClusterStateStore(directory: directory, state: try ClusterState.load(from: directory))
    }

    /// Writes the state to `state.json`.
    /// - Throws: `BackendError` when it cannot be written.
    func persist() throws { try state.save(to: directory) }

    /// Reads `state.json` again (another process changed the cluster).
    mutating func reload() throws { state = try ClusterState.load(from: directory) }

    /// Whether `state.json` is still there (`cluster down` removes it).
    var isRecorded: Bool { FileManager.default.fileExists(atPath: directory + "/" + ClusterState.fileName) }

    // MARK: - Lookups

    /// The cache `id`.
    /// - Throws: `BackendError` when the cluster has no such cache.
    func cache(_ id: String) throws -> ClusterState.Cache {
        guard let cache = state.caches.first(where: { $0.id == id }) else {
            throw BackendError(.unknownCache, "the live cluster has no cache '\(id)'")
        }
        return cache
    }

    /// The shard `id` of `cache`.
    /// - Throws: `BackendError` for an unknown cache or shard.
    func shard(_ id: String, in cache: String) throws -> ClusterState.Shard {
        guard let shard = try self.cache(cache).shards.first(where: { $0.id == id }) else {
            throw BackendError(.unknownShard, "cache '\(cache)' has no shard '\(id)'")
        }
        return shard
    }

    /// The node `id` of `cache`, nil when it has none.
    func node(_ id: String, in cache: String) -> ClusterState.Node? {
        state.caches.first { $0.id == cache }?.nodes.first { $0.id == id }
    }

    /// `node`'s copy of `shard`, nil when it holds none.
    /// - Throws: `BackendError` for an unknown cache or shard.
    func copy(of shard: String, on node: String, in cache: String) throws -> ClusterState.Copy? {
        try self.shard(shard, in: cache).copies.first { $0.node == node }
    }

    /// Whether `copy` lies on a node of `cache` the failure detector declared down.
    func isOnFailedNode(_ copy: ClusterState.Copy, in cache: String) -> Bool {
        node(copy.node, in: cache)?.lifecycle == .failed
    }

    /// The id of the shard `copy` belongs to.
    func shardID(of copy: ClusterState.Copy, in cache: String) -> String? {
        state.caches.first { $0.id == cache }?.shards.first { $0.copies.contains { $0.redisID == copy.redisID } }?.id
    }

    // MARK: - Updates

    /// Changes the cache `id` in place.
    /// - Throws: `BackendError` for an unknown cache, or what `change` throws.
    mutating func updateCache<T>(_ id: String, _ change: (inout ClusterState.Cache) throws -> T) throws -> T {
        guard let c = state.caches.firstIndex(where: { $0.id == id }) else {
            throw BackendError(.unknownCache, "the live cluster has no cache '\(id)'")
        }
        return try change(&state.caches[c])
    }

    /// Changes the node `id` of `cache` in place.
    /// - Throws: `BackendError` for an unknown cache or node, or what `change` throws.
    mutating func updateNode<T>(_ id: String, in cache: String, _ change: (inout ClusterState.Node) throws -> T) throws -> T {
        try updateCache(cache) { record in
            guard let n = record.nodes.firstIndex(where: { $0.id == id }) else {
                throw BackendError(.unknownNode, "cache '\(cache)' has no node '\(id)'")
            }
            return try change(&record.nodes[n])
        }
    }

    /// Changes the shard `id` of `cache` in place.
    /// - Throws: `BackendError` for an unknown cache or shard, or what `change` throws.
    mutating func updateShard<T>(_ id: String, in cache: String, _ change: (inout ClusterState.Shard) throws -> T) throws -> T {
        try updateCache(cache) { record in
            guard let s = record.shards.firstIndex(where: { $0.id == id }) else {
                throw BackendError(.unknownShard, "cache '\(cache)' has no shard '\(id)'")
            }
            return try change(&record.shards[s])
        }
    }

    /// Records `copy` as a copy of `shard`.
    mutating func addCopy(_ copy: ClusterState.Copy, to shard: String, in cache: String) throws {
        try updateShard(shard, in: cache) { $0.copies.append(copy) }
    }

    /// Forgets the copy with Redis id `redisID` of `shard`.
    mutating func removeCopy(_ redisID: String, of shard: String, in cache: String) throws {
        try updateShard(shard, in: cache) { $0.copies.removeAll { $0.redisID == redisID } }
    }

    /// Records `copy` in place of the copy with Redis id `redisID` of `shard`.
    /// - Throws: `BackendError` when the shard no longer has that copy.
    mutating func replaceCopy(_ redisID: String, of shard: String, in cache: String, with copy: ClusterState.Copy) throws {
        try updateShard(shard, in: cache) { record in
            guard let k = record.copies.firstIndex(where: { $0.redisID == redisID }) else {
                throw BackendError(.noCopy, "shard '\(shard)' of '\(cache)' no longer has the copy on '\(copy.node)'")
            }
            record.copies[k] = copy
        }
    }

    /// Sets the lifecycle of `node`.
    /// - Throws: `BackendError` for an unknown cache or node.
    mutating func setLifecycle(_ lifecycle: NodeLifecycle, of node: String, in cache: String) throws {
        try updateNode(node, in: cache) { $0.lifecycle = lifecycle }
    }
}

import GRDB
import MaintenanceKit

/// The journal writes of a rollout whose journal need only survive a crash of maintctl
/// (`processCrash`), gathered to be committed in one transaction: the statements in the order
/// they were made, and of each cache's topology only the newest (encoded once, when committed).
struct WriteBatch: Sendable {
    /// One statement of the batch.
    struct Write: Sendable {
        var sql: String
        /// Made when the statement runs: what needs encoding (an action's result as JSON) is
        /// encoded where the batch is committed, off the rollout's thread.
        var arguments: @Sendable () throws -> StatementArguments
    }

    /// A batch is committed once its first write is this old…
    static let interval: Duration = .milliseconds(50)
    /// …or once it holds this many writes.
    static let limit = 2048

    /// Whether writes are gathered at all (`processCrash` durability).
    var enabled = false
    private(set) var statements: [Write] = []
    private(set) var topologies: [String: (topology: CacheTopology, at: Double)] = [:]
    private var openedAt: ContinuousClock.Instant?
    /// Whether a commit handed to the database's queue has not ended yet (it takes what the
    /// batch holds when it runs).
    var committing = false
    /// A commit was asked for while one ran: another follows it.
    var again = false

    mutating func add(_ write: Write, topology: (cache: String, topology: CacheTopology, at: Double)?) {
        if openedAt == nil { openedAt = .now }
        statements.append(write)
        if let topology { topologies[topology.cache] = (topology.topology, topology.at) }
    }

    var isEmpty: Bool { statements.isEmpty && topologies.isEmpty }

    /// Whether the batch should be committed now.
    var isDue: Bool {
        statements.count >= Self.limit || openedAt.map { ContinuousClock.now - $0 >= Self.interval } ?? false
    }

    /// What the batch holds, leaving it empty (and still `enabled` as it was).
    mutating func take() -> WriteBatch {
        let taken = self
        statements = []
        topologies = [:]
        openedAt = nil
        return taken
    }
}

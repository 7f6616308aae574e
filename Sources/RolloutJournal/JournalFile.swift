import Foundation
import GRDB
import MaintenanceKit
import Synchronization

/// A rollout's journal: one SQLite file (mode 0600) with the run's plan, every attempt's intent
/// and outcome, and each cache's last observed state. Every write is a durable transaction
/// (WAL, `synchronous = FULL`), so a crash at any instant leaves a journal that tells what
/// finished and what may be half-done.
public final class JournalFile: Sendable {
    /// The file.
    public let path: String
    let database: DatabaseQueue
    private let session = Mutex<Int64?>(nil)
    /// With `processCrash` durability: each cache's last outcome, written with its next write.
    private let deferred = Mutex<(enabled: Bool, outcomes: [String: DeferredOutcome])>((false, [:]))
    private let abortCheck = Mutex<(checkedAt: ContinuousClock.Instant?, requested: Bool)>((nil, false))

    private init(path: String, database: DatabaseQueue) {
        self.path = path
        self.database = database
    }

    /// Creates the journal of a new run; refuses to overwrite any file.
    /// - Parameters:
    ///   - path: Where; missing parent directories are made (mode 0700).
    ///   - record: What the run was started with.
    ///   - plan: The plan it executes (a resume executes this plan, not a new one).
    ///   - inventory: The inventory it was planned against.
    ///   - topologies: Each planned cache as observed before the first action.
    public static func create(at path: String, record: RunRecord, plan: Plan, inventory: Inventory,
                              topologies: [CacheTopology]) throws -> JournalFile {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        let descriptor = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw JournalError(path, errno == EEXIST ? "a file is already there; journals are never overwritten"
                                                     : "cannot create the journal: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        do {
            let journal = JournalFile(path: path, database: try DatabaseQueue(path: path, configuration: configuration()))
            let now = Date().timeIntervalSince1970
            try journal.database.write { db in
                try JournalSchema.create(db)
                try db.execute(sql: """
                    INSERT INTO run (id, created_at, record_json, plan_json, inventory_json, status, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [record.id, now, try JSON.text(record), try JSON.text(plan), try JSON.text(inventory),
                                     RunStatus.running.rawValue, now])
                for topology in topologies {
                    try db.execute(sql: "INSERT INTO cache_state (cache, topology, status, updated_at) VALUES (?, ?, 'pending', ?)",
                                   arguments: [topology.id, TopologyText.encode(topology), now])
                }
            }
            return journal
        } catch {
            unlink(path)
            throw JournalError(path, "cannot create the journal: \(error)")
        }
    }

    /// Opens an existing journal, checking that it is one and that it is intact.
    public static func open(at path: String) throws -> JournalFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw JournalError(path, "no such journal")
        }
        guard !isDirectory.boolValue else { throw JournalError(path, "is a directory, not a journal") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw JournalError(path, "cannot be read (permissions)") }
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration())
            try database.read { db in try JournalSchema.check(db, path: path) }
            return JournalFile(path: path, database: database)
        } catch let error as JournalError {
            throw error
        } catch let error as DatabaseError {
            throw JournalError(path, "not a readable maintctl journal (\(error.message ?? "\(error.resultCode)"))")
        } catch {
            throw JournalError(path, "not a readable maintctl journal (\(error))")
        }
    }

    /// WAL, a 10 s wait for a busy file, and commits flushed to disk (see `setDurability`).
    static func configuration(synchronous: String = "FULL") -> Configuration {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        return configuration
    }

    /// Sets how far this process's commits survive; `machineCrash` until set otherwise.
    ///
    /// With `processCrash`, an action's outcome is also committed together with the next write
    /// for its cache (the next intent, or the cache's end) rather than on its own: a crash in
    /// between leaves the action looking half-done, and a resume does it again on the world as
    /// it was before it, which the journal still holds. That halves the commits of a simulated run.
    public func setDurability(_ durability: JournalDurability) throws {
        try flushDeferred()
        try database.writeWithoutTransaction { db in
            try db.execute(sql: durability == .machineCrash ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        deferred.withLock { $0.enabled = durability == .processCrash }
    }

    /// An outcome waiting for the next write of its cache.
    struct DeferredOutcome: Sendable {
        var arguments: StatementArguments
        var topology: StatementArguments?
    }

    /// Takes the deferred outcome of `cache` (or of every cache), to be written now.
    private func takeDeferred(of cache: String?) -> [DeferredOutcome] {
        deferred.withLock { state in
            guard let cache else {
                defer { state.outcomes.removeAll() }
                return Array(state.outcomes.values)
            }
            return state.outcomes.removeValue(forKey: cache).map { [$0] } ?? []
        }
    }

    private func write(_ outcome: DeferredOutcome, in db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE attempt SET finished_at = ?, state = ?, result_json = ?, clock_started_ms = ?, clock_duration_ms = ?
            WHERE cache = ? AND action_index = ? AND attempt = ?
            """).execute(arguments: outcome.arguments)
        if let topology = outcome.topology {
            try db.cachedStatement(sql: "UPDATE cache_state SET topology = ?, status = 'running', updated_at = ? WHERE cache = ?")
                .execute(arguments: topology)
        }
    }

    /// Writes every deferred outcome.
    func flushDeferred() throws {
        let outcomes = takeDeferred(of: nil)
        guard !outcomes.isEmpty else { return }
        try database.write { db in
            for outcome in outcomes { try write(outcome, in: db) }
        }
    }

    // MARK: - Sessions: each run or resume of the journal

    /// Records that this process now drives the run.
    public func beginSession(_ kind: String) throws {
        let id = try database.write { db -> Int64 in
            try JournalSchema.addTimingColumns(db)
            try db.execute(sql: "INSERT INTO session (kind, pid, host, started_at) VALUES (?, ?, ?, ?)",
                           arguments: [kind, getpid(), ProcessIdentity.current.host, Date().timeIntervalSince1970])
            try db.execute(sql: "UPDATE run SET status = ?, updated_at = ?", arguments: [RunStatus.running.rawValue, Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
        session.withLock { $0 = id }
    }

    /// Records how this process's session ended and the rollout's summary so far.
    public func endSession(_ summary: RolloutSummary) throws {
        let status: RunStatus = switch summary.status {
        case .succeeded: .succeeded
        case .failed: .failed
        case .aborted: .aborted
        case .paused: .paused
        }
        try finish(status, summary: try JSON.text(summary))
    }

    /// Marks the run rolled back.
    public func markRolledBack() throws { try finish(.rolledBack, summary: nil) }

    private func finish(_ status: RunStatus, summary: String?) throws {
        let sessionID = session.withLock { $0 }
        let now = Date().timeIntervalSince1970
        let outcomes = takeDeferred(of: nil)
        try database.write { db in
            for outcome in outcomes { try write(outcome, in: db) }
            try db.execute(sql: "UPDATE run SET status = ?, summary_json = coalesce(?, summary_json), updated_at = ?, abort_requested = 0",
                           arguments: [status.rawValue, summary, now])
            if let sessionID {
                try db.execute(sql: "UPDATE session SET ended_at = ?, status = ? WHERE id = ?", arguments: [now, status.rawValue, sessionID])
            }
        }
    }

    /// Asks whoever runs the rollout to stop at its next safe point.
    public func requestAbort() throws {
        try database.write { db in
            try db.execute(sql: "UPDATE run SET abort_requested = 1, updated_at = ?", arguments: [Date().timeIntervalSince1970])
        }
    }

    // MARK: - Recording (RolloutJournal)

    var sessionID: Int64 { session.withLock { $0 } ?? 0 }
}

/// The rollout's writes, committed on the database's own queue (GRDB's async access): the
/// cooperative pool never waits for the disk. On a thread of maintctl's own (a simulation's),
/// which may block, they are committed right there, without the hop to another thread and back.
extension JournalFile: RolloutJournal {
    private func commit(_ updates: @escaping @Sendable (Database) throws -> Void) async throws {
        if Blocking.mayBlockHere {
            try commitHere(updates)
        } else {
            try await database.write(updates)
        }
    }

    /// Commits on the calling thread, which may block.
    private func commitHere(_ updates: (Database) throws -> Void) throws {
        try database.write(updates)
    }

    public func recordIntent(_ action: PlannedAction, attempt: Int) async throws {
        let arguments: StatementArguments = [sessionID, action.cache, action.index, attempt, action.plugin, action.summary,
                                             action.subject.node, action.subject.shard, action.subject.destination,
                                             Date().timeIntervalSince1970]
        let earlier = takeDeferred(of: action.cache)
        try await commit { db in
            for outcome in earlier { try self.write(outcome, in: db) }
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO attempt (session_id, cache, action_index, attempt, plugin, summary, node, shard, destination,
                                                started_at, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'intent')
                """).execute(arguments: arguments)
        }
    }

    public func recordOutcome(_ action: PlannedAction, attempt: Int, result: ActionResult, observed: CacheTopology?) async throws {
        let now = Date().timeIntervalSince1970
        // A plain success with nothing to report is the common case; it needs no JSON.
        let plain = result.succeeded && result.notes.isEmpty && result.failovers.isEmpty && result.syncs.isEmpty
        let outcome = DeferredOutcome(
            arguments: [now, result.succeeded ? "succeeded" : "failed", plain ? nil : try JSON.text(result),
                        result.timing?.startedMS, result.timing?.durationMS, action.cache, action.index, attempt],
            topology: observed.map { [TopologyText.encode($0), now, action.cache] })
        let deferring = deferred.withLock { state -> Bool in
            guard state.enabled else { return false }
            state.outcomes[action.cache] = outcome
            return true
        }
        guard !deferring else { return }
        try await commit { db in try self.write(outcome, in: db) }
    }

    public func recordCacheFinished(_ outcome: CacheOutcome) async throws {
        let text = try JSON.text(outcome)
        let earlier = takeDeferred(of: outcome.cache)
        try await commit { db in
            for deferred in earlier { try self.write(deferred, in: db) }
            try db.execute(sql: "UPDATE cache_state SET status = ?, outcome_json = ?, updated_at = ? WHERE cache = ?",
                           arguments: [outcome.status.rawValue, text, Date().timeIntervalSince1970, outcome.cache])
        }
    }

    /// Reads the request at most every 100 ms, so a rollout of many short actions does not pay a
    /// read per action.
    public func isAbortRequested() async -> Bool {
        let now = ContinuousClock.now
        if let cached = abortCheck.withLock({ state -> Bool? in
            guard let at = state.checkedAt, now - at < .milliseconds(100) else { return nil }
            return state.requested
        }) { return cached }
        let requested = (try? await database.read { db in try Bool.fetchOne(db, sql: "SELECT abort_requested FROM run") }) ?? nil
        abortCheck.withLock { $0 = (now, requested ?? false) }
        return requested ?? false
    }
}

/// JSON text in and out of the journal.
enum JSON {
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func value<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

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
    /// With `processCrash` durability: the writes not yet committed, committed together.
    private let batch = Mutex(WriteBatch())
    /// The first failure of a commit that ran on the database's queue while the rollout went on;
    /// the rollout's next write throws it.
    private let commitFailure = Mutex<(any Error)?>(nil)
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
    /// With `processCrash`, the rollout's writes are gathered and committed together, at most
    /// every ``WriteBatch/interval`` or ``WriteBatch/limit`` writes and whenever a cache ends or
    /// the session does, with only each cache's newest topology: one transaction for hundreds of
    /// actions. The rollout does not wait for those commits (but for the session's end): the
    /// database's queue makes them, in order, while it goes on.
    /// A crash loses the writes of that last moment, together; the journal always holds
    /// a moment of the rollout as it was (every commit is all of the writes up to one point), and
    /// a resume does again, on the world as the journal holds it, what the lost writes recorded.
    public func setDurability(_ durability: JournalDurability) throws {
        try flushBatch()
        try database.writeWithoutTransaction { db in
            try db.execute(sql: durability == .machineCrash ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        batch.withLock { $0.enabled = durability == .processCrash }
    }

    /// Commits the writes gathered so far now (with `processCrash` durability they are otherwise
    /// committed with a later write once ``WriteBatch/interval`` has passed, and at each cache's
    /// and the session's end).
    public func commitPending() async throws {
        try throwCommitFailure()
        guard batch.withLock({ !$0.isEmpty || $0.committing }) else { return }
        // After the commit on its way, if any: the database's queue runs them in order.
        try await commit { db in try self.commitBatch(in: db) }
    }

    /// Runs `updates` in a transaction on the database's queue and waits for it. A cancelled
    /// task still waits and the transaction still commits: GRDB's async `write` would roll back
    /// when its task is cancelled, and the writes a batch took with it would be lost (the
    /// rollout's last ones, when the task committing every interval is cancelled at its end).
    private func commit(_ updates: @escaping @Sendable (Database) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            database.asyncWrite(updates, completion: { _, result in continuation.resume(with: result) })
        }
    }

    /// Commits the gathered writes every ``WriteBatch/interval`` until the task is cancelled:
    /// what a rollout did reaches the file even while none of its actions ends.
    public func commitPendingUntilCancelled() async {
        while (try? await Task.sleep(for: WriteBatch.interval)) != nil {
            do {
                try await commitPending()
            } catch {
                // Thrown by the rollout's next write, or its end: never lost in silence.
                commitFailure.withLock { $0 = $0 ?? error }
            }
        }
    }

    /// Commits what the batch holds now (taken on the database's queue, so that batches are
    /// committed in the order their writes were made).
    func flushBatch() throws {
        try throwCommitFailure()
        try database.write { db in try self.commitBatch(in: db) }
    }

    /// Hands the batch to the database's queue to be committed there while the rollout goes
    /// on (a rollout does not wait for SQLite); one such commit at a time, which takes every
    /// write gathered until it runs. Asked again while one runs, another follows it. A
    /// failure is thrown by the next write.
    private func commitBatchInBackground() {
        let start = batch.withLock { batch -> Bool in
            guard !batch.committing else {
                batch.again = true
                return false
            }
            batch.committing = true
            batch.again = false
            return true
        }
        guard start else { return }
        database.asyncWrite({ db in try self.commitBatch(in: db) }, completion: { _, result in
            let again = self.batch.withLock { batch -> Bool in
                batch.committing = false
                return batch.again && !batch.isEmpty
            }
            if case let .failure(error) = result { self.commitFailure.withLock { $0 = $0 ?? error } }
            if again { self.commitBatchInBackground() }
        })
    }

    private func throwCommitFailure() throws {
        if let failure = commitFailure.withLock({ $0 }) { throw failure }
    }

    private func commitBatch(in db: Database) throws {
        let taken = batch.withLock { $0.take() }
        // Topologies first: a cache's end, among the writes, sets its final status after them.
        for (cache, latest) in taken.topologies {
            try db.cachedStatement(sql: "UPDATE cache_state SET topology = ?, status = 'running', updated_at = ? WHERE cache = ?")
                .execute(arguments: [TopologyText.encode(latest.topology), latest.at, cache])
        }
        for write in taken.statements {
            try db.cachedStatement(sql: write.sql).execute(arguments: write.arguments())
        }
        // The abort request as of this commit: the rollout's next check needs no read of its own.
        let requested = try Bool.fetchOne(db, sql: "SELECT abort_requested FROM run") ?? false
        abortCheck.withLock { $0 = (.now, requested) }
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
        try throwCommitFailure()
        let sessionID = session.withLock { $0 }
        let now = Date().timeIntervalSince1970
        try database.write { db in
            try self.commitBatch(in: db)
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
    private static let insertIntent = """
        INSERT OR REPLACE INTO attempt (session_id, cache, action_index, attempt, plugin, summary, node, shard, destination,
                                        started_at, state)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'intent')
        """
    private static let updateOutcome = """
        UPDATE attempt SET finished_at = ?, state = ?, result_json = ?, clock_started_ms = ?, clock_duration_ms = ?
        WHERE cache = ? AND action_index = ? AND attempt = ?
        """

    /// Commits `write` (and the topology `observed` of `cache`) now, or, with `processCrash`
    /// durability, adds it to the batch and hands the batch to the database's queue, without
    /// waiting, when it is due or `now` is set.
    private func record(_ write: WriteBatch.Write, topology: (cache: String, topology: CacheTopology, at: Double)? = nil,
                        now: Bool = false) async throws {
        try throwCommitFailure()
        let due = batch.withLock { batch -> Bool? in
            guard batch.enabled else { return nil }
            batch.add(write, topology: topology)
            return now || batch.isDue
        }
        switch due {
        case false?:
            return
        case true?:
            commitBatchInBackground()
        case nil:
            let updates = { @Sendable (db: Database) throws in
                try db.cachedStatement(sql: write.sql).execute(arguments: write.arguments())
                if let topology {
                    try db.cachedStatement(sql: "UPDATE cache_state SET topology = ?, status = 'running', updated_at = ? WHERE cache = ?")
                        .execute(arguments: [TopologyText.encode(topology.topology), topology.at, topology.cache])
                }
            }
            // On a thread of maintctl's own (a simulation's), which may block, right there,
            // without the hop to the database's queue and back; elsewhere on that queue, so the
            // cooperative pool never waits for the disk.
            if Blocking.mayBlockHere {
                try writeHere(updates)
            } else {
                try await commit(updates)
            }
        }
    }

    /// Commits on the calling thread, which may block.
    private func writeHere(_ updates: (Database) throws -> Void) throws {
        try database.write(updates)
    }

    public func recordIntent(_ action: PlannedAction, attempt: Int) async throws {
        let (session, now) = (sessionID, Date().timeIntervalSince1970)
        try await record(WriteBatch.Write(sql: Self.insertIntent) {
            [session, action.cache, action.index, attempt, action.plugin, action.summary,
             action.subject.node, action.subject.shard, action.subject.destination, now]
        })
    }

    public func recordOutcome(_ action: PlannedAction, attempt: Int, result: ActionResult, observed: CacheTopology?) async throws {
        let now = Date().timeIntervalSince1970
        // A plain success with nothing to report is the common case; it needs no JSON.
        let plain = result.succeeded && result.notes.isEmpty && result.failovers.isEmpty && result.syncs.isEmpty
        try await record(WriteBatch.Write(sql: Self.updateOutcome) {
            [now, result.succeeded ? "succeeded" : "failed", plain ? nil : ActionResultJSON.text(result),
             result.timing?.startedMS, result.timing?.durationMS, action.cache, action.index, attempt]
        }, topology: observed.map { (action.cache, $0, now) })
    }

    public func recordCacheFinished(_ outcome: CacheOutcome) async throws {
        let now = Date().timeIntervalSince1970
        try await record(WriteBatch.Write(sql: "UPDATE cache_state SET status = ?, outcome_json = ?, updated_at = ? WHERE cache = ?") {
            [outcome.status.rawValue, try JSON.text(outcome), now, outcome.cache]
        }, now: true)
    }

    /// Reads the request at most every 100 ms (each commit of a batch reads it too), so a
    /// rollout of many short actions does not pay a read per action.
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

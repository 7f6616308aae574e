import Foundation
import GRDB
import MaintenanceKit

/// Everything a journal holds, read at one moment.
public struct JournalSnapshot: Sendable {
    /// One run or resume of the journal by a process.
    public struct Session: Sendable, Codable {
        public var kind: String
        public var pid: Int32
        public var host: String
        public var started: Date
        public var ended: Date?
        public var status: String?
    }

    /// One attempt of one action.
    public struct Attempt: Sendable, Codable {
        public var cache: String
        public var actionIndex: Int
        public var attempt: Int
        public var plugin: String
        public var summary: String
        /// `intent` (started, no outcome: may be half-done), `succeeded` or `failed`.
        public var state: String
        public var result: ActionResult?
        /// The session that made it (sessions count up from 1): each session's rollout clock starts at zero.
        public var session: Int64 = 0
    }

    /// A cache's last recorded state.
    public struct CacheRecord: Sendable {
        public var cache: String
        /// `pending`, `running`, or how its maintenance ended.
        public var status: String
        public var topology: CacheTopology
        public var outcome: CacheOutcome?
    }

    public var path: String
    public var record: RunRecord
    public var plan: Plan
    public var inventory: Inventory
    public var status: RunStatus
    public var created: Date
    public var updated: Date
    public var abortRequested: Bool
    public var summaryJSON: String?
    public var sessions: [Session]
    public var attempts: [Attempt]
    public var caches: [CacheRecord]

    /// What was done, for a resume: succeeded actions and the attempts made of the others.
    public var progress: RolloutProgress {
        var progress = RolloutProgress()
        for attempt in attempts {
            if attempt.state == "succeeded", let result = attempt.result {
                progress.completed[attempt.cache, default: [:]][attempt.actionIndex] = result
            }
            let made = progress.attempts[attempt.cache]?[attempt.actionIndex] ?? 0
            progress.attempts[attempt.cache, default: [:]][attempt.actionIndex] = max(made, attempt.attempt)
        }
        return progress
    }

    /// Attempts that started and never recorded an outcome: their effect may be half-done.
    public var halfDone: [Attempt] { attempts.filter { $0.state == "intent" } }

    /// The last session, if it is a process that is still alive here. A killed maintctl whose
    /// parent has not reaped it yet (a zombie: a shell or container init that never waits)
    /// runs nothing and counts as gone.
    public var liveSession: Session? {
        guard status == .running, let last = sessions.last, last.ended == nil else { return nil }
        return last.host == ProcessIdentity.current.host && ProcessIdentity.startTicks(of: last.pid) != nil ? last : nil
    }
}

extension JournalFile {
    /// An attempt's result: stored as JSON, or nothing for a plain success.
    static func result(state: String, json: String?) throws -> ActionResult? {
        if let json { return try JSON.value(ActionResult.self, from: json) }
        return state == "succeeded" ? ActionResult(succeeded: true) : nil
    }

    /// Reads the whole journal.
    public func snapshot() throws -> JournalSnapshot {
        do {
            return try database.read { db in
                guard let run = try Row.fetchOne(db, sql: "SELECT * FROM run") else {
                    throw JournalError(path, "the journal holds no run")
                }
                let sessions = try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY id").map { row in
                    JournalSnapshot.Session(kind: row["kind"], pid: row["pid"], host: row["host"],
                                            started: Date(timeIntervalSince1970: row["started_at"]),
                                            ended: (row["ended_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                                            status: row["status"])
                }
                let timed = Set(try db.columns(in: "attempt").map(\.name)).isSuperset(of: JournalSchema.timingColumns)
                let attempts = try Row.fetchAll(db, sql: "SELECT * FROM attempt ORDER BY id").map { row in
                    var result = try Self.result(state: row["state"], json: row["result_json"])
                    if timed, result?.timing == nil, let started = row["clock_started_ms"] as Int64?, let took = row["clock_duration_ms"] as Int64? {
                        result?.timing = ActionTiming(started: .milliseconds(started), took: .milliseconds(took))
                    }
                    return JournalSnapshot.Attempt(cache: row["cache"], actionIndex: row["action_index"], attempt: row["attempt"],
                                                   plugin: row["plugin"], summary: row["summary"], state: row["state"], result: result,
                                                   session: row["session_id"])
                }
                let caches = try Row.fetchAll(db, sql: "SELECT * FROM cache_state ORDER BY rowid").map { row in
                    JournalSnapshot.CacheRecord(cache: row["cache"], status: row["status"],
                                                topology: try TopologyText.decode(row["topology"]),
                                                outcome: try (row["outcome_json"] as String?).map { try JSON.value(CacheOutcome.self, from: $0) })
                }
                return JournalSnapshot(
                    path: path, record: try JSON.value(RunRecord.self, from: run["record_json"]),
                    plan: try JSON.value(Plan.self, from: run["plan_json"]),
                    inventory: try JSON.value(Inventory.self, from: run["inventory_json"]),
                    status: RunStatus(rawValue: run["status"]) ?? .running,
                    created: Date(timeIntervalSince1970: run["created_at"]), updated: Date(timeIntervalSince1970: run["updated_at"]),
                    abortRequested: run["abort_requested"], summaryJSON: run["summary_json"],
                    sessions: sessions, attempts: attempts, caches: caches)
            }
        } catch let error as JournalError {
            throw error
        } catch let error as TopologyText.Malformed {
            throw JournalError(path, "\(error)")
        } catch let error as DecodingError {
            throw JournalError(path, "the journal's records cannot be read (\(error.localizedDescription)); was it written by another version?")
        } catch {
            throw JournalError(path, "cannot read the journal: \(error)")
        }
    }
}

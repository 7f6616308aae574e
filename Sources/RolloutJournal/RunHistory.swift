import Foundation
import GRDB

/// A run as `maintctl history` lists it.
public struct HistoryEntry: Sendable, Codable {
    public var id: String
    public var journal: String
    public var playbook: String
    public var backend: String
    public var caches: [String]
    public var started: Date
    /// As the journal says now (or as last indexed when the journal is gone).
    public var status: String
}

extension ControlDatabase {
    /// Adds a new run to the history.
    public func register(_ record: RunRecord, journal: String) throws {
        let now = Date().timeIntervalSince1970
        try database.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO run_index (id, journal, playbook, backend, caches, started_at, status, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [record.id, journal, record.playbookPath, record.backend,
                                 record.caches.keys.sorted().joined(separator: ","), now, RunStatus.running.rawValue, now])
        }
    }

    /// The journals of the last runs on `backend`, newest first, without opening them.
    public func journals(of backend: String, limit: Int) throws -> [String] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT journal FROM run_index WHERE backend = ? ORDER BY started_at DESC LIMIT ?",
                                arguments: [backend, limit])
        }
    }

    /// Past runs, newest first, each with its journal's current status.
    public func history(limit: Int = 50) throws -> [HistoryEntry] {
        let rows = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run_index ORDER BY started_at DESC LIMIT ?", arguments: [limit])
        }
        return rows.map { row in
            let journal: String = row["journal"]
            var status: String = row["status"]
            if let snapshot = try? JournalFile.open(at: journal).snapshot() {
                status = snapshot.liveSession == nil && snapshot.status == .running ? "interrupted" : snapshot.status.rawValue
            } else {
                status = "journal missing"
            }
            let caches: String = row["caches"]
            return HistoryEntry(id: row["id"], journal: journal, playbook: row["playbook"], backend: row["backend"],
                                caches: caches.split(separator: ",").map(String.init),
                                started: Date(timeIntervalSince1970: row["started_at"]), status: status)
        }
    }
}

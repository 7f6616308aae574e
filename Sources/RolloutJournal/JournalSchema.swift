import GRDB

/// The tables of a journal file and the marks that tell it apart from any other SQLite file.
enum JournalSchema {
    /// `PRAGMA application_id` of a maintctl journal ("MCTJ").
    static let applicationID: Int32 = 0x4D43_544A
    /// `PRAGMA user_version`: the layout below.
    static let version: Int32 = 1

    static func create(_ db: Database) throws {
        try db.execute(sql: """
            PRAGMA application_id = \(applicationID);
            PRAGMA user_version = \(version);
            CREATE TABLE run (
                id TEXT PRIMARY KEY NOT NULL,
                created_at REAL NOT NULL,
                record_json TEXT NOT NULL,
                plan_json TEXT NOT NULL,
                inventory_json TEXT NOT NULL,
                status TEXT NOT NULL,
                updated_at REAL NOT NULL,
                summary_json TEXT,
                abort_requested INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE session (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL,
                pid INTEGER NOT NULL,
                host TEXT NOT NULL,
                started_at REAL NOT NULL,
                ended_at REAL,
                status TEXT
            );
            CREATE TABLE attempt (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_id INTEGER NOT NULL REFERENCES session(id),
                cache TEXT NOT NULL,
                action_index INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                plugin TEXT NOT NULL,
                summary TEXT NOT NULL,
                node TEXT,
                shard TEXT,
                destination TEXT,
                started_at REAL NOT NULL,
                finished_at REAL,
                state TEXT NOT NULL,
                result_json TEXT,
                clock_started_ms INTEGER,
                clock_duration_ms INTEGER,
                UNIQUE (cache, action_index, attempt)
            );
            CREATE TABLE cache_state (
                cache TEXT PRIMARY KEY NOT NULL,
                topology TEXT NOT NULL,
                status TEXT NOT NULL,
                outcome_json TEXT,
                updated_at REAL NOT NULL
            );
            """)
    }

    /// When each attempt began and how long it took on the rollout's clock (virtual on the
    /// simulated backend): columns that journals written before them lack. Added when such a
    /// journal is written again (a resume); readers take the attempts without them as untimed.
    static let timingColumns = ["clock_started_ms", "clock_duration_ms"]

    /// Adds ``timingColumns`` to a journal that lacks them.
    static func addTimingColumns(_ db: Database) throws {
        let present = Set(try db.columns(in: "attempt").map(\.name))
        for column in timingColumns where !present.contains(column) {
            try db.execute(sql: "ALTER TABLE attempt ADD COLUMN \(column) INTEGER")
        }
    }

    /// Throws unless `db` is a journal of this layout.
    static func check(_ db: Database, path: String) throws {
        let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        guard application == applicationID else {
            throw JournalError(path, "not a maintctl journal (an SQLite file of something else)")
        }
        let layout = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        guard layout == version else {
            throw JournalError(path, "journal layout \(layout) is not the one this maintctl reads (\(version))")
        }
        let integrity = try String.fetchAll(db, sql: "PRAGMA quick_check")
        guard integrity == ["ok"] else {
            throw JournalError(path, "the journal is damaged: \(integrity.prefix(3).joined(separator: "; "))")
        }
    }
}

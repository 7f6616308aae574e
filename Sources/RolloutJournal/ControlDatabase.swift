import Foundation
import GRDB

/// The machine-wide table of locks and runs that every maintctl process shares (one SQLite
/// file in ``MaintctlHome``); its transactions serialize concurrent processes.
public final class ControlDatabase: Sendable {
    let database: DatabaseQueue
    let path: String

    /// Opens (or creates, mode 0600) the control database of `home`.
    public init(home: MaintctlHome) throws {
        path = home.controlDatabase
        do {
            try home.prepare()
            if !FileManager.default.fileExists(atPath: path) {
                let descriptor = Foundation.open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                if descriptor >= 0 { close(descriptor) }
            }
            // Commits reach the operating system; a machine crash may lose the last ones, which
            // costs little: every lock holder died with the machine (a new boot id), and a lost
            // history entry leaves its journal, with its own durability, where it was.
            database = try DatabaseQueue(path: path, configuration: JournalFile.configuration(synchronous: "NORMAL"))
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS lock (
                        key TEXT PRIMARY KEY NOT NULL,
                        run_id TEXT NOT NULL,
                        holder_json TEXT NOT NULL,
                        acquired_at REAL NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    CREATE TABLE IF NOT EXISTS run_index (
                        id TEXT PRIMARY KEY NOT NULL,
                        journal TEXT NOT NULL,
                        playbook TEXT NOT NULL,
                        backend TEXT NOT NULL,
                        caches TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        status TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    """)
            }
        } catch {
            throw JournalError(path, "cannot open maintctl's lock and history database: \(error)")
        }
    }
}
